/**
 * A migration that meets application traffic: with MIGRATOR_LOCK_TIMEOUT it gives up waiting for a
 * busy table, rolls back and retries, instead of queueing the application's queries behind it.
 */
import type pg from 'pg';
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('lock and statement timeouts', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let app: pg.Client | undefined;
  // Declared first so that it runs first: the app's session ends before its database is dropped.
  afterEach(async () => {
    await app?.end();
    app = undefined;
  });
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('a table held by an app transaction: bounded retries, then exit 1 naming the relation and holder', async () => {
    const env = { ...db.env, MIGRATIONS_DIR: migrations.dir };
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    migrations.write('versioned/3_customers_tier.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;');
    app = await db.connect();
    await app.query(`BEGIN; INSERT INTO customers (email) VALUES ('busy@example.com')`);
    const [{ pid: appPid }] = (await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;

    const run = startMigrator(['up'], { env: { ...env, MIGRATOR_LOCK_TIMEOUT: '1', MIGRATOR_LOCK_RETRIES: '2' } });
    const retry = await waitForLine(run.child, (line) => String(line.msg).startsWith('lock timeout'));
    // While the migration backs off between attempts, other app queries on the table go through.
    const reader = await db.connect();
    try {
      await reader.query('SELECT count(*) FROM customers');
    } finally {
      await reader.end();
    }
    expect(run.child.exitCode).toBeNull();
    const result = await run.done;

    expect(retry).toMatchObject({ level: 'warn', file: '3_customers_tier.sql', relation: 'customers', blockingPids: [appPid] });
    expect(result.lines.filter((line) => String(line.msg).startsWith('lock timeout'))).toHaveLength(2);
    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({
      pgCode: '55P03',
      file: '3_customers_tier.sql',
      relation: 'customers',
      blockingPids: [appPid],
    });
    expect(String(summaryLine(result).msg)).toMatch(
      new RegExp(`lock timeout \\(waiting for AccessExclusiveLock on relation customers held by pid ${appPid}; gave up after 3 attempts`),
    );
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);

    // Once the app commits, the same migration goes through.
    await app.query('COMMIT');
    expect((await runMigrator(['up'], { env: { ...env, MIGRATOR_LOCK_TIMEOUT: '1' } })).code).toBe(0);
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3]);
  });

  test('a lock released during the retries: the migration succeeds on a later attempt', async () => {
    const env = { ...db.env, MIGRATIONS_DIR: migrations.dir };
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    migrations.write('versioned/3_customers_tier.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;');
    app = await db.connect();
    await app.query('BEGIN; LOCK TABLE customers IN SHARE MODE');

    const run = startMigrator(['up'], { env: { ...env, MIGRATOR_LOCK_TIMEOUT: '0.5', MIGRATOR_LOCK_RETRIES: '5' } });
    await waitForLine(run.child, (line) => String(line.msg).startsWith('lock timeout'));
    await app.query('COMMIT');
    const result = await run.done;

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ versioned: 1, currentVersion: 3 });
  });

  test('MIGRATOR_STATEMENT_TIMEOUT stops a statement that runs too long, exit 1', async () => {
    migrations.write('versioned/3_slow.sql', 'CREATE TABLE slow_half (id int);\nSELECT pg_sleep(30);');

    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir, MIGRATOR_STATEMENT_TIMEOUT: '0.5' } });

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({ pgCode: '57014', file: '3_slow.sql' });
    expect(String(summaryLine(result).msg)).toMatch(/statement timeout \(MIGRATOR_STATEMENT_TIMEOUT\)/);
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
  });
});
