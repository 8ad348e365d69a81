/**
 * A server that stops answering without closing anything: its container is paused (`docker pause`),
 * so its kernel still answers TCP, keepalives included, but PostgreSQL does nothing, not even
 * enforce its own statement_timeout or lock_timeout. The run must still end, with exit 4 and a
 * message that says what became of the running step, or with 143 when it was asked to stop.
 * Each test pauses a server of its own and always lets it run again afterwards.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import type pg from 'pg';
import { CHECK_MS, QUIET_MS } from '../../src/db/answer-watch';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-key';
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { dockerOk } from '../support/docker';
import { fixturePath, tempMigrations, type TempMigrations } from '../support/fixtures';
import { connectOwn, freePort, ownUrl, query, startPostgres } from '../support/own-postgres';
import { statementRunning, waitUntil } from '../support/wait';

/** docs/how-a-run-behaves.md: a server that stops answering is given up on within this long. */
const GIVE_UP_MS = QUIET_MS + CHECK_MS + 1000;
/** docs/exit-codes.md: after SIGTERM, the run ends within the stop grace. */
const STOP_GRACE_MS = 10_000;
/** Room for a loaded machine: the bounds are behaviour, not performance. */
const SLACK_MS = 10_000;

describe('a server that stops answering', () => {
  let container: StartedPostgreSqlContainer | undefined;
  let paused = false;
  let port: number;
  let migrations: TempMigrations | undefined;
  let holder: pg.Client | undefined;

  const pause = async () => {
    await dockerOk(['pause', container!.getId()]);
    paused = true;
    return Date.now();
  };
  // Once in a while the server restarts itself on waking (a child exits with code 2 and it runs
  // crash recovery; seen in about 1 of 15 runs here, cause not found): wait until it answers again.
  const unpause = async () => {
    if (!paused) return;
    await dockerOk(['unpause', container!.getId()]);
    paused = false;
    await waitUntil(
      () =>
        query(port, 'SELECT 1').then(
          () => true,
          () => false,
        ),
      'the server answers again',
    );
  };

  beforeEach(async () => {
    port = await freePort();
    container = await startPostgres(port);
  });
  afterEach(async () => {
    await unpause();
    await holder?.end().catch(() => undefined);
    holder = undefined;
    migrations?.remove();
    migrations = undefined;
    await container?.stop();
    container = undefined;
  });

  /** The sample's basic set and a third migration that sleeps for as long as test_control says. */
  async function slowMigrations(): Promise<TempMigrations> {
    migrations = tempMigrations('basic');
    await query(port, 'CREATE TABLE test_control (sleep_seconds int); INSERT INTO test_control VALUES (60)');
    migrations.write(
      'versioned/3_slow.sql',
      'CREATE TABLE slow_half (id int);\nSELECT pg_sleep((SELECT sleep_seconds FROM test_control));\n',
    );
    return migrations;
  }

  /** Once the server runs again: the slow step was rolled back and only 1 and 2 are applied. */
  async function expectSlowStepRolledBack(): Promise<void> {
    await waitUntil(
      async () =>
        (await query(port, `SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()`)).length === 0,
      'the frozen run is gone from the server',
    );
    expect(await query(port, `SELECT to_regclass('slow_half') AS half`)).toEqual([{ half: null }]);
    expect(await query(port, 'SELECT id FROM migrations WHERE id > 0 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  }

  // statement_timeout applies to each statement of a query, and a file is one query: so the run may
  // rightly hear nothing for longer than the timeout, and must not take that for a frozen server.
  test('a server that answers is never given up on: a file of three 8 s statements under MIGRATOR_STATEMENT_TIMEOUT=10 completes', async () => {
    migrations = tempMigrations('basic');
    migrations.write('versioned/3_long.sql', 'SELECT pg_sleep(8);\nSELECT pg_sleep(8);\nSELECT pg_sleep(8);\n');

    const result = await runMigrator(['up'], {
      env: { DATABASE_URL: ownUrl(port), MIGRATIONS_DIR: migrations.dir, MIGRATOR_STATEMENT_TIMEOUT: '10' },
    });

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', versioned: 3, currentVersion: 3 });
  });

  test('paused mid-statement, with MIGRATOR_STATEMENT_TIMEOUT and the lock watcher open: exit 4, and the server rolls back once it runs again', async () => {
    const { dir } = await slowMigrations();
    const env = { DATABASE_URL: ownUrl(port), MIGRATIONS_DIR: dir, MIGRATOR_STATEMENT_TIMEOUT: '20', MIGRATOR_LOCK_TIMEOUT: '5' };
    const run = startMigrator(['up'], { env });
    await waitUntil(
      statementRunning((sql, values) => query(port, sql, values), 'pg_sleep'),
      'the slow statement runs',
    );

    const pausedAt = await pause();
    const result = await run.done;
    const waited = Date.now() - pausedAt;

    expect(result.code).toBe(4);
    expect(waited).toBeLessThan(GIVE_UP_MS + SLACK_MS);
    expect(summaryLine(result)).toMatchObject({ errorType: 'DatabaseUnavailableError', versioned: 2, failedStep: 'versioned/3_slow.sql' });
    expect(String(summaryLine(result).msg)).toMatch(
      /^the database server stopped answering \(.+\) while running versioned\/3_slow\.sql; the connection was closed, so the server rolls its transaction back when it runs again/,
    );

    await unpause();
    await expectSlowStepRolledBack();
    await query(port, 'UPDATE test_control SET sleep_seconds = 0');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect(await query(port, 'SELECT id FROM migrations WHERE id > 0 ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  test('paused while the run waits for the lock (MIGRATOR_LOCK_WAIT): exit 4, nothing changed', async () => {
    holder = connectOwn(port);
    holder.on('error', () => undefined);
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK_KEY]);
    const run = startMigrator(['up'], {
      env: { DATABASE_URL: ownUrl(port), MIGRATIONS_DIR: fixturePath('basic'), MIGRATOR_LOCK_WAIT: '120' },
    });
    await waitForLine(run.child, (line) => line.msg === 'another migrator holds the lock, waiting for it');

    const pausedAt = await pause();
    const result = await run.done;
    const waited = Date.now() - pausedAt;

    expect(result.code).toBe(4);
    expect(waited).toBeLessThan(GIVE_UP_MS + SLACK_MS);
    expect(summaryLine(result)).toMatchObject({ errorType: 'DatabaseUnavailableError', versioned: 0, tables: 0 });
    expect(String(summaryLine(result).msg)).toMatch(
      /^the database server stopped answering \(.+\) while waiting for the migration lock, so nothing was changed$/,
    );
    await unpause();
    expect(await query(port, `SELECT to_regclass('migrations') AS history`)).toEqual([{ history: null }]);
  });

  test('SIGTERM while the server is paused mid-statement: the cancel request goes unanswered, exit 143 within the stop grace', async () => {
    const { dir } = await slowMigrations();
    const termination = mkdtempSync(path.join(os.tmpdir(), 'migrator-termination-'));
    const terminationLog = path.join(termination, 'message');
    try {
      const run = startMigrator(['up'], {
        env: { DATABASE_URL: ownUrl(port), MIGRATIONS_DIR: dir, MIGRATOR_TERMINATION_LOG: terminationLog },
      });
      await waitUntil(
        statementRunning((sql, values) => query(port, sql, values), 'pg_sleep'),
        'the slow statement runs',
      );
      await pause();

      const signalledAt = Date.now();
      run.child.kill('SIGTERM');
      const result = await run.done;
      const waited = Date.now() - signalledAt;

      expect(result.code).toBe(143);
      expect(waited).toBeLessThan(STOP_GRACE_MS + SLACK_MS);
      // A clean stop, not the grace running out: the run's own last line says what became of the step.
      expect(summaryLine(result)).toMatchObject({
        exitCode: 143,
        signal: 'SIGTERM',
        errorType: 'InterruptedError',
        failedStep: 'versioned/3_slow.sql',
      });
      expect(String(summaryLine(result).msg)).toMatch(
        /^interrupted by SIGTERM: during versioned\/3_slow\.sql, and the database server stopped answering \(a cancel request got no answer within 5 s\); the connection was closed, so the server rolls its transaction back/,
      );
      expect(readFileSync(terminationLog, 'utf8')).toMatch(/exit code 143 .*interrupted by SIGTERM/);

      await unpause();
      await expectSlowStepRolledBack();
    } finally {
      rmSync(termination, { recursive: true, force: true });
    }
  });
});
