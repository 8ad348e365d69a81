/**
 * Versioned files in a transaction reach PostgreSQL as START TRANSACTION, the file one statement
 * per query (so that the server enforces where each ends), then the session's reset, the history
 * row and COMMIT in one query, instead of postgres-migrations' file-as-one-query and separate
 * INSERT and COMMIT, with the library's behaviour unchanged: what it records, what a failure
 * rolls back, where an error points, and files it runs without a transaction. The queries are
 * counted on the real client on their way to the server.
 */
import { MigrationFailedError } from '../../src/errors';
import { tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';
import { recordSentQueries } from '../support/sent-queries';

describe('versioned files are sent statement by statement, the history row with the COMMIT', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations } = fresh));

  let sent: string[];
  beforeEach(() => {
    sent = recordSentQueries();
  });
  afterEach(() => jest.restoreAllMocks());

  // The history table named qualified with the session's own schema (db/own-tables.ts).
  const historyWrites = () => sent.filter((text) => text.includes('INSERT INTO "public"."migrations"'));

  test("each file statement by statement, its history row with the COMMIT; the history is the library's own", async () => {
    migrations.write('versioned/1_first.sql', 'CREATE TABLE IF NOT EXISTS first (id int);');
    // No newline and no semicolon after the last statement, a trailing comment: the file's text as is.
    migrations.write('versioned/2_second.sql', 'CREATE TABLE IF NOT EXISTS second (id int) -- the end');
    migrations.write("versioned/3_o'brien.sql", 'INSERT INTO first VALUES (3);\n');

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.versioned.applied).toEqual(['1_first.sql', '2_second.sql', "3_o'brien.sql"]);
    // The library's own table-creating migration 0, then ours: the history row goes with the COMMIT.
    expect(historyWrites()).toHaveLength(4);
    expect(
      historyWrites().every((text) => /^RESET SESSION AUTHORIZATION; .*;INSERT INTO "public"\."migrations" .*;COMMIT$/s.test(text)),
    ).toBe(true);
    expect(sent.filter((text) => text === 'START TRANSACTION')).toHaveLength(4);
    expect(sent.filter((text) => text === 'COMMIT')).toEqual([]);
    // The file's text as is, its trailing comment too.
    expect(sent).toContain('CREATE TABLE IF NOT EXISTS second (id int) -- the end');
    expect(await db.query('SELECT id, name FROM migrations ORDER BY id')).toEqual([
      { id: 0, name: 'create-migrations-table' },
      { id: 1, name: 'first' },
      { id: 2, name: 'second' },
      { id: 3, name: "o'brien" },
    ]);
    // The hashes are the library's: a second run finds every file applied and unchanged.
    const again = await runLibrary(db, migrations.dir);
    expect(again.report).toMatchObject({ outcome: 'up-to-date' });
  });

  test('a failing file: its statements before the error are rolled back, the error points into the file', async () => {
    migrations.write('versioned/1_first.sql', 'CREATE TABLE IF NOT EXISTS first (id int);');
    migrations.write('versioned/2_broken.sql', 'CREATE TABLE half (id int);\nSELECT 1;\nSELEC 2;\n');

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as MigrationFailedError).failure).toMatchObject({ pgCode: '42601', line: 3, column: 1 });
    expect(await tableNames(db)).toEqual(['first', 'migrations']);
    expect(await db.query('SELECT id FROM migrations ORDER BY id')).toEqual([{ id: 0 }, { id: 1 }]);
    // The connection is usable again: the aborted transaction was rolled back.
    migrations.write('versioned/2_broken.sql', 'CREATE TABLE half (id int);\n');
    expect((await runLibrary(db, migrations.dir)).report?.versioned.applied).toEqual(['2_broken.sql']);
  });

  test('a file with the disable-transaction marker is sent alone, as the library sends it', async () => {
    migrations.write('versioned/1_first.sql', 'CREATE TABLE IF NOT EXISTS first (id int);');
    const concurrently =
      '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS first_id_idx ON first (id);\n';
    migrations.write('versioned/2_index.sql', concurrently);

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(sent).toContain(concurrently);
    expect(historyWrites()).toHaveLength(3);
    expect(historyWrites()[2]).toMatch(/^INSERT INTO "public"\."migrations"/);
    expect(await db.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'first'`)).toEqual([{ indexname: 'first_id_idx' }]);
  });
});
