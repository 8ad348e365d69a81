/**
 * The database is late, or restarts in the middle of a run. These tests need a server of their
 * own on a fixed port, so that the migrator can be pointed at it before it exists or while it restarts.
 */
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-key';
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { fixturePath, tempMigrations } from '../support/fixtures';
import { connectOwn, freePort, ownUrl, query, startPostgres } from '../support/own-postgres';
import { statementRunning, waitUntil } from '../support/wait';

describe('database outages', () => {
  let container: StartedPostgreSqlContainer | undefined;
  afterEach(async () => {
    await container?.stop();
    container = undefined;
  });

  test('a database that comes up 10 s after the migrator started: it waits, then succeeds', async () => {
    const port = await freePort();
    const url = ownUrl(port);
    const run = startMigrator(['up'], { env: { DATABASE_URL: url, MIGRATIONS_DIR: fixturePath('basic'), MIGRATOR_WAIT_TIMEOUT: '90' } });
    await waitForLine(run.child, (line) => line.msg === 'database not reachable yet, retrying');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    container = await startPostgres(port);

    const result = await run.done;

    expect(result.code).toBe(0);
    expect(result.lines.some((line) => line.msg === 'still waiting for the database')).toBe(true);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', versioned: 2 });
  });

  test('a restart in the middle of a run: exit 4, nothing half applied, the next run completes', async () => {
    const port = await freePort();
    container = await startPostgres(port);
    const url = ownUrl(port);
    const migrations = tempMigrations('basic');
    await query(port, 'CREATE TABLE test_control (sleep_seconds int); INSERT INTO test_control VALUES (60)');
    migrations.write(
      'versioned/3_slow.sql',
      'CREATE TABLE slow_half (id int);\nSELECT pg_sleep((SELECT sleep_seconds FROM test_control));\n',
    );
    try {
      const env = { DATABASE_URL: url, MIGRATIONS_DIR: migrations.dir, MIGRATOR_WAIT_TIMEOUT: '60' };
      const run = startMigrator(['up'], { env });
      // Restarted once 3_slow.sql is in its pg_sleep, so that the restart meets that file mid-way.
      await waitUntil(
        statementRunning((sql, values) => query(port, sql, values), 'pg_sleep((SELECT'),
        '3_slow.sql is sleeping',
      );
      await container.restart();

      const result = await run.done;

      expect(result.code).toBe(4);
      expect(summaryLine(result)).toMatchObject({ errorType: 'DatabaseUnavailableError' });
      expect(String(summaryLine(result).msg)).toMatch(/lost the database connection while running versioned\/3_slow\.sql/);
      await waitUntil(
        async () =>
          query(port, 'SELECT 1').then(
            () => true,
            () => false,
          ),
        'the database is back',
      );
      expect(await query(port, `SELECT to_regclass('slow_half') AS half`)).toEqual([{ half: null }]);
      expect(await query(port, 'SELECT id FROM migrations WHERE id > 0 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);

      await query(port, 'UPDATE test_control SET sleep_seconds = 0');
      const next = await runMigrator(['up'], { env });
      expect(next.code).toBe(0);
      expect(await query(port, 'SELECT id FROM migrations WHERE id > 0 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    } finally {
      migrations.remove();
    }
  });

  test('a restart while waiting for the lock another session holds: exit 4, nothing changed', async () => {
    const port = await freePort();
    container = await startPostgres(port);
    const holder = connectOwn(port);
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    try {
      const url = ownUrl(port);
      const run = startMigrator(['up'], { env: { DATABASE_URL: url, MIGRATIONS_DIR: fixturePath('basic'), MIGRATOR_LOCK_WAIT: '120' } });
      await waitForLine(run.child, (line) => line.msg === 'another migrator holds the lock, waiting for it');
      await container.restart();

      const result = await run.done;

      expect(result.code).toBe(4);
      expect(summaryLine(result)).toMatchObject({ errorType: 'DatabaseUnavailableError', versioned: 0, tables: 0 });
      expect(String(summaryLine(result).msg)).toMatch(
        /^lost the database connection \(.+\) while waiting for the migration lock, so nothing was changed$/,
      );
      expect(await query(port, `SELECT to_regclass('migrations') AS history`)).toEqual([{ history: null }]);
    } finally {
      await holder.end().catch(() => undefined);
    }
  });
});
