/**
 * CREATE INDEX CONCURRENTLY stopped half-way (SIGKILL, SIGTERM) leaves an INVALID index, which
 * CREATE INDEX CONCURRENTLY IF NOT EXISTS would then skip for ever. The next up drops and builds
 * it again before recording the migration; an INVALID index an applied migration left makes
 * check report the schema as not current, and up rebuilds it.
 */
import { runMigrator, startMigrator, summaryLine, waitForLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { statementRunning, waitUntil } from '../support/wait';

const NO_TRANSACTION = '-- postgres-migrations disable-transaction\n';
const BUILD = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx ON slow_rows (slow_key(id))';

describe('an interrupted CREATE INDEX CONCURRENTLY', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  const indexState = () =>
    db.query<{ valid: boolean }>(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('slow_idx')`);
  const historyOf = async (id: number) => (await appliedVersions(db)).filter((row) => row.id === id);

  beforeEach(async () => {
    // The build evaluates an expression over 200 rows that sleeps as long as the test says: slow
    // while the test stops it, fast when the next up builds it again. (Index builds run functions
    // with a search_path of pg_catalog only, hence public.test_control.)
    await db.query('CREATE TABLE test_control (sleep_seconds float8); INSERT INTO test_control VALUES (0.1)');
    migrations.write(
      'versioned/3_slow_rows.sql',
      `CREATE OR REPLACE FUNCTION slow_key(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM pg_sleep((SELECT sleep_seconds FROM public.test_control));
  RETURN i;
END $$;
CREATE TABLE IF NOT EXISTS slow_rows AS SELECT generate_series(1, 200) AS id;
`,
    );
    migrations.write('versioned/4_slow_index.sql', `${NO_TRANSACTION}${BUILD};\n`);
  });

  async function stopMidBuild(signal: NodeJS.Signals) {
    const run = startMigrator(['up'], { env });
    await waitForLine(run.child, (line) => line.file === '3_slow_rows.sql' && line.msg === 'migration applied');
    await waitUntil(statementRunning(db.query, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx'), 'the index build runs');
    run.child.kill(signal);
    const result = await run.done;
    await waitUntil(
      async () => !(await statementRunning(db.query, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx')()),
      'the build has stopped',
      20_000,
    );
    expect(await indexState()).toEqual([{ valid: false }]);
    expect(await historyOf(4)).toEqual([]);
    return result;
  }

  async function nextUpRebuilds() {
    await db.query('UPDATE test_control SET sleep_seconds = 0');
    const next = await runMigrator(['up'], { env });

    expect(next.code).toBe(0);
    expect(next.lines.find((line) => line.level === 'warn' && line.index === 'public.slow_idx')).toMatchObject({
      msg: 'dropping INVALID index public.slow_idx, left by an interrupted build: 4_slow_index.sql builds it again',
    });
    expect(await indexState()).toEqual([{ valid: true }]);
    expect(await historyOf(4)).toHaveLength(1);
  }

  test('SIGKILL mid-build: the next up drops the INVALID index, builds it, and records the migration once', async () => {
    expect((await stopMidBuild('SIGKILL')).signal).toBe('SIGKILL');
    await nextUpRebuilds();
  });

  test('SIGTERM mid-build: exit 143 saying the index stays INVALID until the next up, which builds it', async () => {
    const stopped = await stopMidBuild('SIGTERM');

    expect(stopped.code).toBe(143);
    const message = String(summaryLine(stopped).msg);
    expect(message).toMatch(
      /^interrupted by SIGTERM: during versioned\/4_slow_index\.sql; nothing of it stayed applied but its INVALID index, which the next up drops and builds again$/,
    );
    expect(message).not.toMatch(/rolled back/);
    await nextUpRebuilds();
  });

  test('SIGTERM during the rebuild of an INVALID index: exit 143, and the message says a new INVALID index may be left, as it is', async () => {
    await db.query('UPDATE test_control SET sleep_seconds = 0');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await db.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'slow_idx'::regclass`);
    await db.query('UPDATE test_control SET sleep_seconds = 0.1');
    const run = startMigrator(['up'], { env });
    await waitUntil(statementRunning(db.query, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx'), 'the rebuild runs');
    run.child.kill('SIGTERM');

    const stopped = await run.done;

    expect(stopped.code).toBe(143);
    const message = String(summaryLine(stopped).msg);
    expect(message).toBe(
      'interrupted by SIGTERM: during versioned/4_slow_index.sql; it stopped while its INVALID index was being dropped and built again, so a new INVALID index may be left: the next up drops and builds it again',
    );
    await waitUntil(
      async () => !(await statementRunning(db.query, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS slow_idx')()),
      'the build has stopped',
      20_000,
    );
    expect(await indexState()).toEqual([{ valid: false }]);
    await db.query('UPDATE test_control SET sleep_seconds = 0');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect(await indexState()).toEqual([{ valid: true }]);
  });

  test('an INVALID index an applied migration left: check and status say the schema is not current (exit 3), up rebuilds it', async () => {
    await db.query('UPDATE test_control SET sleep_seconds = 0');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    // As an older migrator left it: the build failed, yet the history row was written.
    await db.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'slow_idx'::regclass`);

    const check = await runMigrator(['check'], { env });
    const status = await runMigrator(['status', '--json'], { env });

    expect(check.code).toBe(3);
    expect(summaryLine(check).msg).toMatch(/first versioned\/4_slow_index\.sql \(rebuild INVALID index public\.slow_idx/);
    expect(JSON.parse(status.stdout).steps).toEqual([
      expect.objectContaining({
        phase: 'versioned',
        kind: 'index',
        file: '4_slow_index.sql',
        sql: `DROP INDEX CONCURRENTLY IF EXISTS public.slow_idx;\n${BUILD};`,
      }),
    ]);

    const up = await runMigrator(['up'], { env });

    expect(up.code).toBe(0);
    expect(up.lines.map((line) => line.msg)).toContain('INVALID index rebuilt');
    expect(await indexState()).toEqual([{ valid: true }]);
    expect(await historyOf(4)).toHaveLength(1);
    expect((await runMigrator(['check'], { env })).code).toBe(0);
  });
});
