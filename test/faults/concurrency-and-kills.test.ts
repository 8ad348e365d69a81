/**
 * Many runners at once, and runners killed without warning: every migration is applied exactly
 * once, and a dead runner's work is rolled back and its lock freed by PostgreSQL.
 */
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { appliedVersions, migratorLockHeld, tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { statementRunning, waitUntil } from '../support/wait';

describe('concurrency and killed runners', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('20 runners started at once: all exit 0, each migration applied exactly once', async () => {
    migrations.write('tables/030_marks.sql', 'CREATE TABLE marks (migration int NOT NULL);');
    for (let id = 3; id <= 30; id++) migrations.write(`versioned/${id}_mark_${id}.sql`, `INSERT INTO marks VALUES (${id});`);
    const env = { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' };

    const results = await Promise.all(Array.from({ length: 20 }, () => runMigrator(['up'], { env })));

    expect(results.map((result) => result.code)).toEqual(Array(20).fill(0));
    const marks = await db.query<{ duplicates: string; total: string }>(
      'SELECT count(*) - count(DISTINCT migration) AS duplicates, count(*) AS total FROM marks',
    );
    expect(marks[0]).toEqual({ duplicates: '0', total: '28' });
    const history = await db.query<{ id: number; n: string }>('SELECT id, count(*) AS n FROM migrations GROUP BY id HAVING count(*) > 1');
    expect(history).toEqual([]);
    expect(await appliedVersions(db)).toHaveLength(30);
    // Exactly one runner applied the versioned migrations; the other 19 found nothing to do.
    const applied = results.map((result) => summaryLine(result).versioned);
    expect(applied.filter((count) => count === 30)).toHaveLength(1);
    expect(applied.filter((count) => count === 0)).toHaveLength(19);
  });

  test('SIGKILL in the middle of a long migration: rolled back, lock freed, the next runner completes', async () => {
    // The test controls how long migration 3 sleeps, so the re-run does not wait a minute.
    await db.query('CREATE TABLE test_control (sleep_seconds int); INSERT INTO test_control VALUES (600)');
    migrations.write(
      'versioned/3_slow.sql',
      'CREATE TABLE slow_half (id int);\nSELECT pg_sleep((SELECT sleep_seconds FROM test_control));\n',
    );
    const env = { ...db.env, MIGRATIONS_DIR: migrations.dir };
    const run = startMigrator(['up'], { env });
    await waitForLine(run.child, (line) => line.file === '2_customers_display_name.sql');
    await waitUntil(statementRunning(db.query, 'pg_sleep((SELECT'), 'the slow migration runs');

    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    // The server notices the dead client by itself (client_connection_check_interval): the
    // statement is cancelled, its transaction rolled back and the advisory lock released.
    await waitUntil(async () => !(await statementRunning(db.query, 'pg_sleep((SELECT')()), 'the orphaned statement ends', 20_000);
    expect(await migratorLockHeld(db)).toBe(false);
    expect(await tableNames(db)).not.toContain('slow_half');
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);

    await db.query('UPDATE test_control SET sleep_seconds = 0');
    const next = await runMigrator(['up'], { env: { ...env, MIGRATOR_LOCK_WAIT: '5' } });
    expect(next.code).toBe(0);
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3]);
    expect(await tableNames(db)).toContain('slow_half');
  });
});
