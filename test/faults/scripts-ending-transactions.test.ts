/**
 * No file, whatever its lexing, can end or escape a transaction the migrator opened, in planning or
 * applying: statements go to the server one at a time (extended protocol: it refuses two in one
 * Parse), a statement our splitter merged by mistake is split by PostgreSQL's parser (and one that
 * ends or starts a transaction refused before any of it runs), and the transaction status the
 * server reports is checked after every statement.
 */
import { runScript, ScriptStoppedError } from '../../src/db/script';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

/** A parameter named begin: our splitter once took it for a BEGIN ATOMIC body and sent the rest as part of the function. */
const BEGIN_PARAMETER_TRICK = `CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'select 1'; COMMIT; INSERT INTO canary VALUES ('x');\n`;
/**
 * A parameter named begin of a type named atomic: this one fools our splitter still (it reads
 * BEGIN ATOMIC), so the server has to refuse the merged statement, and PostgreSQL's parser split it.
 */
const BEGIN_ATOMIC_TRICK = `CREATE DOMAIN atomic AS int;\nCREATE FUNCTION f(begin atomic) RETURNS int LANGUAGE sql AS 'select 1';\nCOMMIT; INSERT INTO canary VALUES ('x');\n`;
const TRICK_REFUSED =
  "COMMIT ends or starts a transaction, and the migrator's splitter did not see it (PostgreSQL's parser did), so none of these statements ran: " +
  'remove it, the migrator begins and commits the transaction itself';

const canaryRows = (db: TestDatabase) => db.query('SELECT v FROM canary');
const functionExists = async (db: TestDatabase) =>
  (await db.query<{ exists: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'f') AS exists`))[0].exists;

describe('a file that tries to end the transaction the migrator runs it in', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(() => db.query('CREATE TABLE canary (v text)'));

  test('a legacy script with a parameter named begin: the COMMIT is seen and refused before anything runs (exit 6)', async () => {
    migrations.write('legacy/001_trick.sql', BEGIN_PARAMETER_TRICK);

    const result = await runMigrator(['plan'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/^legacy\/001_trick\.sql:1: COMMIT would end the transaction the migrator runs this file in/);
    expect(await canaryRows(db)).toEqual([]);
    expect(await functionExists(db)).toBe(false);
  });

  test('a legacy script that still fools the splitter: the server refuses the merged statement, plan fails (exit 1), nothing is committed', async () => {
    migrations.write('legacy/001_trick.sql', BEGIN_ATOMIC_TRICK);

    const result = await runMigrator(['plan'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result).msg).toBe(`legacy/001_trick.sql:3: ${TRICK_REFUSED}; found while planning, so nothing was changed`);
    expect(await canaryRows(db)).toEqual([]);
    expect(await functionExists(db)).toBe(false);
    expect(await db.query(`SELECT typname FROM pg_type WHERE typname = 'atomic'`)).toEqual([]);
  });

  test('a table file with the same tricks: plan fails, the scratch schema is not left behind, and later plan, check and up work', async () => {
    migrations.write('tables/010_items.sql', `CREATE TABLE items (id int);\n${BEGIN_PARAMETER_TRICK}`);
    const refused = await runMigrator(['plan'], { env });
    expect(refused.code).toBe(6);
    expect(summaryLine(refused).msg).toMatch(/^tables\/010_items\.sql:2: COMMIT would end the transaction/);
    migrations.write('tables/010_items.sql', `CREATE TABLE items (id int);\n${BEGIN_ATOMIC_TRICK}`);

    const failed = await runMigrator(['plan'], { env });

    expect(failed.code).toBe(1);
    expect(summaryLine(failed).msg).toBe(`tables/010_items.sql:4: ${TRICK_REFUSED}; found while planning, so nothing was changed`);
    expect(await canaryRows(db)).toEqual([]);
    expect(await db.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'migrator\\_declared\\_shape%'`)).toEqual([]);

    migrations.write('tables/010_items.sql', 'CREATE TABLE items (id int);\n');
    expect((await runMigrator(['plan'], { env })).code).toBe(0);
    expect((await runMigrator(['check'], { env })).code).toBe(3);
    expect((await runMigrator(['status'], { env })).code).toBe(0);
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['check'], { env })).code).toBe(0);
  });

  test('standard_conforming_strings turned off by an earlier script does not carry a COMMIT past up', async () => {
    migrations.write('legacy/001_strings.sql', 'SET standard_conforming_strings = off;\n');
    migrations.write('legacy/002_quote.sql', `SELECT 'x\\''; COMMIT; INSERT INTO canary VALUES ('x'); SELECT '';\n`);

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result).msg).toMatch(/^legacy\/002_quote\.sql:1:\d+ failed: .*found while planning, so nothing was changed$/);
    expect(await canaryRows(db)).toEqual([]);
  });

  test("a merged statement without transaction control: PostgreSQL's parser splits it, the transaction runs again, and up applies it", async () => {
    const merged = BEGIN_ATOMIC_TRICK.replace('COMMIT; ', '');
    await db.query('CREATE TABLE versioned_canary (v text)');
    migrations.write('legacy/001_merged.sql', merged);
    // The domain atomic comes from the legacy script.
    migrations.write(
      'versioned/1_merged.sql',
      `CREATE FUNCTION g(begin atomic) RETURNS int LANGUAGE sql AS 'select 1';\nINSERT INTO versioned_canary VALUES ('x');\n`,
    );

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(0);
    expect(await canaryRows(db)).toEqual([{ v: 'x' }]);
    expect(await db.query('SELECT v FROM versioned_canary')).toEqual([{ v: 'x' }]);
    expect(await functionExists(db)).toBe(true);
    expect(await appliedVersions(db)).toEqual([{ id: 1, name: 'merged' }]);
  });

  test('a versioned file with the parameter named begin: refused before anything runs (exit 6)', async () => {
    migrations.write('versioned/1_base.sql', 'CREATE TABLE base (id int);\n');
    migrations.write('versioned/2_trick.sql', BEGIN_PARAMETER_TRICK);

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/^versioned\/2_trick\.sql:1: COMMIT would end the transaction/);
    expect(await canaryRows(db)).toEqual([]);
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('a versioned file that still fools the splitter: up fails (exit 1), no row, nothing of it committed, not recorded', async () => {
    migrations.write('versioned/1_base.sql', 'CREATE TABLE base (id int);\n');
    migrations.write('versioned/2_trick.sql', BEGIN_ATOMIC_TRICK);

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result).msg).toBe(`versioned/2_trick.sql:3: ${TRICK_REFUSED}; its transaction was rolled back`);
    expect(await canaryRows(db)).toEqual([]);
    expect(await functionExists(db)).toBe(false);
    expect(await appliedVersions(db)).toEqual([{ id: 1, name: 'base' }]);
  });
});

describe('runScript', () => {
  let db: TestDatabase;
  withFreshDatabase(undefined, (fresh) => ({ db } = fresh));

  test('stops at the statement that ended the transaction, and says that what ran before it was committed', async () => {
    await db.query('CREATE TABLE canary (v text)');
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      const run = runScript(client, "INSERT INTO canary VALUES ('before');\nCOMMIT;\nINSERT INTO canary VALUES ('after');\n");
      await expect(run).rejects.toThrow(ScriptStoppedError);
      await expect(run).rejects.toMatchObject({ stop: 'ended-transaction', line: 2 });
    } finally {
      await client.end();
    }
    expect(await canaryRows(db)).toEqual([{ v: 'before' }]);
  });

  test('a statement the splitter merged: the server refuses it, the parser splits it, and the next run sends the parts', async () => {
    await db.query('CREATE TABLE canary (v text)');
    const script = `CREATE DOMAIN atomic AS int;\nCREATE FUNCTION f(begin atomic) RETURNS int LANGUAGE sql AS 'select 1';\nINSERT INTO canary VALUES ('x');\n`;
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await expect(runScript(client, script)).rejects.toMatchObject({ stop: 'run-again', line: 2 });
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await runScript(client, script);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    expect(await canaryRows(db)).toEqual([{ v: 'x' }]);
  });

  test('a statement the server reads as several, which PostgreSQL’s parser cannot split: nothing of it runs', async () => {
    await db.query('CREATE TABLE canary (v text)');
    const client = await db.connect();
    try {
      await client.query('SET standard_conforming_strings = off');
      await client.query('BEGIN');
      const run = runScript(client, `SELECT 1;\nSELECT 'x\\''; COMMIT; INSERT INTO canary VALUES ('x'); SELECT '';\n`);
      await expect(run).rejects.toMatchObject({ stop: 'unsplittable', line: 2 });
      // Still in the transaction, which the refusal aborted.
      await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    } finally {
      await client.end();
    }
    expect(await canaryRows(db)).toEqual([]);
  });

  test('an error points into the script, not into the statement sent alone', async () => {
    const client = await db.connect();
    try {
      await client.query('BEGIN');
      await expect(runScript(client, 'SELECT 1;\n-- é\nSELECT 2;\nSELECT nope;\n')).rejects.toMatchObject({ position: '33' });
    } finally {
      await client.end();
    }
  });
});
