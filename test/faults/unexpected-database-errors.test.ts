/**
 * A database error no outcome was made for, raised by a query of the migrator's own (here: while
 * reading the history) rather than by a migration: one clear failure line with the message and
 * the SQLSTATE, exit 1 as documented, and never a stack trace. A deadlock or serialization
 * failure says that PostgreSQL rolled the query back and to run again.
 */
import { backendPid, createClient } from '../../src/db/client';
import { runMigrator, summaryLine, type CliResult } from '../support/cli';
import { connectionSettingsOf, tableNames, type TestDatabase } from '../support/database';
import { withFreshDatabase } from '../support/fresh';

/** A history table the catalog checks accept, whose `id <> 0` (in every history query) raises the given SQLSTATE. */
const historyRaising = (sqlState: string, message: string) => `
CREATE TABLE migrations (id text PRIMARY KEY, name text, hash text, executed_at timestamp);
INSERT INTO migrations VALUES ('0', 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df', now());
CREATE FUNCTION raising_ne(text, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '${message}' USING ERRCODE = '${sqlState}';
END $$;
CREATE OPERATOR <> (LEFTARG = text, RIGHTARG = integer, FUNCTION = raising_ne);`;

function expectNoStackTrace(result: CliResult) {
  const output = result.stdout + result.stderr;
  expect({ stackTrace: output.includes('    at '), stackField: output.includes('"stack"') }).toEqual({
    stackTrace: false,
    stackField: false,
  });
}

describe('an unclassified database error outside any step', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, env } = fresh));

  test.each([
    ['up', 'holding the migration lock, between steps'],
    ['check', 'reading the database'],
  ])('a deadlock while %s reads the history: exit 1, one line with the SQLSTATE, run again', async (command, doing) => {
    await db.query(historyRaising('40P01', 'deadlock detected'));

    const result = await runMigrator([command], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({
      outcome: 'failed',
      exitCode: 1,
      errorType: 'DatabaseQueryError',
      pgCode: '40P01',
      msg: `deadlock detected (SQLSTATE 40P01) while ${doing}: a query of the migrator's own conflicted with another session, and PostgreSQL rolled it back; run again`,
    });
    expectNoStackTrace(result);
    expect(await tableNames(db)).toEqual(['migrations']);
  });

  test('an error nothing expects (SQLSTATE XX000): exit 1, "unexpected database error" with its SQLSTATE', async () => {
    await db.query(historyRaising('XX000', 'something broke'));

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({
      outcome: 'failed',
      exitCode: 1,
      errorType: 'DatabaseQueryError',
      pgCode: 'XX000',
      msg: 'unexpected database error: something broke (SQLSTATE XX000) while holding the migration lock, between steps',
    });
    expectNoStackTrace(result);
    expect(await tableNames(db)).toEqual(['migrations']);
  });
});

describe('a connection the server ends while no query of ours runs on it', () => {
  let db: TestDatabase;
  withFreshDatabase('basic', (fresh) => ({ db } = fresh));

  // As DROP DATABASE ... WITH (FORCE) does to a connection being closed: unheard, node-postgres's
  // 'error' event ended the process at once (exit 1, a scratch container of generate left running).
  test('is heard by its next query, never as an error event that ends the process', async () => {
    const client = createClient(connectionSettingsOf(db), 5000);
    await client.connect();
    const ended = new Promise((resolve) => client.once('end', resolve));

    await db.query('SELECT pg_terminate_backend($1)', [backendPid(client)]);
    await ended;

    await expect(client.query('SELECT 1')).rejects.toThrow();
  });
});
