/**
 * The migration lock and stopping: a runner waits for another's lock only as long as allowed, and
 * SIGTERM/SIGINT roll the running migration back and release the lock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-key';
import { appliedVersions, createDatabase, migratorLockHeld, tableNames, type TestDatabase } from '../support/database';
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { fixturePath, tempMigrations } from '../support/fixtures';

const BASIC = fixturePath('basic');

describe('the migration lock', () => {
  let db: TestDatabase;
  let holder: pg.Client | undefined;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await holder?.end();
    holder = undefined;
    await db.drop();
  });

  test('a runner that cannot get the lock within MIGRATOR_LOCK_WAIT exits 5 naming the holder pid', async () => {
    holder = await db.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    const [{ pid }] = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;

    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC, MIGRATOR_LOCK_WAIT: '1' } });

    expect(result.code).toBe(5);
    expect(summaryLine(result)).toMatchObject({ exitCode: 5, holderPid: pid });
    expect(String(summaryLine(result).msg)).toContain(`pid ${pid}`);
    expect(await tableNames(db)).toEqual([]);
  });

  test('a runner waits for the lock and proceeds as soon as it is released', async () => {
    holder = await db.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    const run = startMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC, MIGRATOR_LOCK_WAIT: '60' } });
    await waitForLine(run.child, (line) => line.msg === 'another migrator holds the lock, waiting for it');
    expect(await tableNames(db)).toEqual([]);
    // It waits between short tries, not inside a statement that waits for the lock (and holds a
    // snapshot, which a CREATE INDEX CONCURRENTLY of the holder would wait for: a deadlock).
    const waits = [];
    for (let look = 0; look < 20; look++) {
      const { rows } = await holder.query(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'`);
      waits.push(...rows);
      await sleep(50);
    }
    expect(waits).toEqual([]);

    await holder.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK_KEY]);
    const result = await run.done;

    expect(result.code).toBe(0);
    expect(await appliedVersions(db)).toHaveLength(2);
  });

  test('SIGTERM ends the wait for the lock at once: exit 143, nothing changed', async () => {
    holder = await db.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    const run = startMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC, MIGRATOR_LOCK_WAIT: '600' } });
    await waitForLine(run.child, (line) => line.msg === 'another migrator holds the lock, waiting for it');

    run.child.kill('SIGTERM');
    const result = await run.done;

    expect(result.code).toBe(143);
    expect(summaryLine(result)).toMatchObject({
      exitCode: 143,
      msg: 'interrupted by SIGTERM: while waiting for the migration lock, so nothing was changed',
    });
    expect(result.durationMs).toBeLessThan(30_000);
    expect(await tableNames(db)).toEqual([]);
  });

  test('the lock is released after a run, also after a failed one', async () => {
    const migrations = tempMigrations('basic');
    migrations.write('versioned/3_broken.sql', 'SELECT 1/0;\n');
    try {
      expect((await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } })).code).toBe(1);
      expect(await migratorLockHeld(db)).toBe(false);
    } finally {
      migrations.remove();
    }
  });
});

describe.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)('%s during a migration', (signal, exitCode) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test(`rolls it back, releases the lock and exits ${exitCode}`, async () => {
    const migrations = tempMigrations('basic');
    migrations.write('versioned/3_slow.sql', 'CREATE TABLE slow_half (id int);\nSELECT pg_sleep(60);\n');
    try {
      const run = startMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });
      await waitForLine(run.child, (line) => line.file === '2_customers_display_name.sql');
      // Wait until the slow statement is running on the server.
      for (let i = 0; i < 100; i++) {
        const rows = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()`,
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      run.child.kill(signal);
      const result = await run.done;

      expect(result.code).toBe(exitCode);
      expect(summaryLine(result)).toMatchObject({ exitCode, signal });
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
      expect(await tableNames(db)).not.toContain('slow_half');
      expect(await migratorLockHeld(db)).toBe(false);
      const [{ running }] = await db.query<{ running: string }>(
        `SELECT count(*) AS running FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`,
      );
      expect(Number(running)).toBe(0);
    } finally {
      migrations.remove();
    }
  });
});
