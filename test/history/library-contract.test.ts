/**
 * What src/history relies on in postgres-migrations, which has no public API for running one file
 * and no release since 2021 (its exact version is pinned in package.json): the internal modules
 * and functions we load, the runner's query sequence with and without the disable-transaction
 * marker and on failure, the history INSERT that batched-queries.ts recognises, the hash, and
 * migration 0. A new version of the library fails here first.
 */
import type pg from 'pg';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isHistoryInsert } from '../../src/history/batched-queries';
import { migrationHash, NO_TRANSACTION_MARKER } from '../../src/history/files';
import { libraryTableMigration, runLibraryMigration, type LibraryMigration } from '../../src/history/library';
import { createDatabase, type TestDatabase } from '../support/database';

type Query = string | pg.QueryConfig;

/** The history table as the store names it: qualified (db/own-tables.ts), which the library must carry as given. */
const TABLE = '"public"."migrations"';

describe('the postgres-migrations contract', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let sent: Query[];
  /** The real client, recording what the library sends through it. */
  let recording: Pick<pg.Client, 'query'>;

  beforeAll(async () => {
    db = await createDatabase();
    client = await db.connect();
    recording = {
      query: ((query: Query, ...rest: unknown[]) => {
        sent.push(query);
        return (client.query as (...args: unknown[]) => unknown)(query, ...rest);
      }) as pg.Client['query'],
    };
    await runLibraryMigration('migrations', client, await libraryTableMigration());
  });
  beforeEach(() => (sent = []));
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const migration = (id: number, name: string, sql: string): LibraryMigration => {
    const fileName = `${id}_${name}.sql`;
    return { id, name, fileName, sql, hash: migrationHash(fileName, sql) };
  };
  const describeSent = () =>
    sent.map((query) =>
      typeof query === 'string' ? query : { text: query.text, values: query.values, isHistoryInsert: isHistoryInsert(query, TABLE) },
    );

  test('the pinned version, its internal modules and the functions we call', () => {
    const root = path.dirname(require.resolve('postgres-migrations/package.json'));
    expect((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version).toBe('5.3.0');
    const ours = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(ours.dependencies['postgres-migrations']).toBe('5.3.0');
    /* eslint-disable @typescript-eslint/no-require-imports */
    expect(typeof require('postgres-migrations/dist/run-migration').runMigration).toBe('function');
    expect(typeof require('postgres-migrations/dist/migration-file').loadMigrationFile).toBe('function');
    /* eslint-enable @typescript-eslint/no-require-imports */
  });

  test("migration 0 is the library's own file: its history table, loaded with the library's hash", async () => {
    const own = await libraryTableMigration();

    expect(own).toMatchObject({ id: 0, name: 'create-migrations-table', fileName: '0_create-migrations-table.sql' });
    expect(own.sql).toMatch(
      /^CREATE TABLE IF NOT EXISTS migrations \(\n {2}id integer PRIMARY KEY,\n {2}name varchar\(100\) UNIQUE NOT NULL,\n {2}hash varchar\(40\) NOT NULL,/,
    );
    expect(own.hash).toBe(migrationHash(own.fileName, own.sql));
    expect(own.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(await db.query('SELECT id, name, hash FROM migrations')).toEqual([{ id: 0, name: own.name, hash: own.hash }]);
  });

  test('a file: START TRANSACTION, the file, the history INSERT batched-queries.ts recognises, COMMIT', async () => {
    const file = migration(1, 'one', 'CREATE TABLE one (id int);');

    await runLibraryMigration(TABLE, recording, file);

    expect(describeSent()).toEqual([
      'START TRANSACTION',
      file.sql,
      {
        text: 'INSERT INTO "public"."migrations" ("id", "name", "hash") VALUES ($1,$2,$3)',
        values: [1, 'one', file.hash],
        isHistoryInsert: true,
      },
      'COMMIT',
    ]);
    expect(await db.query('SELECT id, name, hash FROM migrations WHERE id = 1')).toEqual([{ id: 1, name: 'one', hash: file.hash }]);
  });

  test('a file with the disable-transaction marker: the file and the INSERT, no transaction', async () => {
    expect(NO_TRANSACTION_MARKER).toBe('-- postgres-migrations disable-transaction');
    const file = migration(2, 'two', `${NO_TRANSACTION_MARKER}\nCREATE INDEX CONCURRENTLY one_id ON one (id);`);

    await runLibraryMigration(TABLE, recording, file);

    expect(describeSent()).toEqual([
      file.sql,
      {
        text: 'INSERT INTO "public"."migrations" ("id", "name", "hash") VALUES ($1,$2,$3)',
        values: [2, 'two', file.hash],
        isHistoryInsert: true,
      },
    ]);
  });

  test('a failing file: START TRANSACTION, the file, ROLLBACK, and the error names the file; nothing recorded', async () => {
    const file = migration(3, 'three', 'CREATE TABLE three (id int); SELECT 1/0;');

    await expect(runLibraryMigration(TABLE, recording, file)).rejects.toThrow(
      "An error occurred running 'three'. Rolled back this migration. No further migrations were run. Reason: division by zero",
    );

    expect(describeSent()).toEqual(['START TRANSACTION', file.sql, 'ROLLBACK']);
    expect(await db.query("SELECT id FROM migrations WHERE id = 3 UNION ALL SELECT 1 FROM pg_class WHERE relname = 'three'")).toEqual([]);
  });

  test('the hash is sha1 of the file name followed by the SQL, as the library loads a file', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadMigrationFile } = require('postgres-migrations/dist/migration-file') as {
      loadMigrationFile: (file: string) => Promise<LibraryMigration>;
    };
    const dir = path.dirname(require.resolve('postgres-migrations/dist/migration-file'));
    const own = await loadMigrationFile(path.join(dir, 'migrations', '0_create-migrations-table.sql'));

    expect(own.hash).toBe(
      migrationHash('0_create-migrations-table.sql', readFileSync(path.join(dir, 'migrations', '0_create-migrations-table.sql'))),
    );
  });
});
