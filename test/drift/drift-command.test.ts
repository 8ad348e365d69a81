/**
 * Drift through the CLI (issue 26): `up` records the schema with its last step, `drift` names what
 * changed by hand since, and `up` and `check` with MIGRATOR_ON_DRIFT=fail refuse it before
 * planning, changing nothing. Ignored tables and other schemas are no drift; a failed run
 * records nothing; a database from before drift detection gets its first record from `up`.
 */
import { runMigrator, summaryLine, type CliResult } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const RECORD = 'public.migrator_schema_fingerprint';
const DRIFT_EXIT = 10;

/** A view and a function, so that each kind of object the issue names can be changed by hand. */
const VIEW_AND_FUNCTION = `CREATE VIEW customer_emails AS SELECT id, email FROM customers;
CREATE FUNCTION order_total(o orders) RETURNS integer LANGUAGE sql AS $$ SELECT o.total_cents $$;
`;

const logLines = (result: CliResult, stream: 'stdout' | 'stderr' = 'stdout') =>
  (stream === 'stdout' ? result.lines : result.stderr.split('\n').flatMap((line) => (line.startsWith('{') ? [JSON.parse(line)] : []))).map(
    (line) => line as { level?: string; msg?: string; drift?: string[] },
  );

describe('drift', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  const recordedAt = async () => (await db.query<{ xmin: string }>(`SELECT xmin::text FROM ${RECORD}`))[0]?.xmin;
  const applied = async () => (await db.query<{ count: number }>('SELECT count(*)::int AS count FROM migrations WHERE id > 0'))[0].count;

  async function upWithViewAndFunction(): Promise<void> {
    migrations.write('versioned/3_view_and_function.sql', VIEW_AND_FUNCTION);
    const first = await runMigrator(['up'], { env });
    expect(first.code).toBe(0);
  }

  test('says there is no baseline before any up, exit 0, and writes nothing', async () => {
    const text = await runMigrator(['drift'], { env });
    const json = await runMigrator(['drift', '--json'], { env });

    expect([text.code, json.code]).toEqual([0, 0]);
    expect(text.stdout).toContain('no drift baseline yet');
    expect(JSON.parse(json.stdout)).toEqual({ baseline: false, differences: [] });
    expect(summaryLine(text).outcome).toBe('no-baseline');
    expect(await db.query(`SELECT to_regclass('${RECORD}') AS t`)).toEqual([{ t: null }]);
  });

  test('up records the schema with its last step: no drift right after it, and none after a second up', async () => {
    await upWithViewAndFunction();
    const first = await recordedAt();
    expect(first).toBeDefined();

    const drift = await runMigrator(['drift'], { env });
    expect(drift.code).toBe(0);
    expect(drift.stdout).toBe('no drift: the schema is as the last migrator up recorded it\n');
    // Nothing applied, a record there: the no-op leaves it alone.
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect(await recordedAt()).toBe(first);
  });

  test.each([
    ['a column added by hand', 'ALTER TABLE customers ADD COLUMN nickname text', 'column public.customers.nickname: not in any migration'],
    ['an index dropped', 'DROP INDEX orders_customer_id_idx', 'index public.orders_customer_id_idx: missing'],
    [
      'a view redefined',
      'CREATE OR REPLACE VIEW customer_emails AS SELECT id, lower(email) AS email FROM customers',
      'view public.customer_emails: changed',
    ],
    [
      'a function replaced',
      'CREATE OR REPLACE FUNCTION order_total(o orders) RETURNS integer LANGUAGE sql AS $$ SELECT o.total_cents * 2 $$',
      'function public.order_total(o public.orders): changed',
    ],
  ])('%s: drift names it (exit 10), and up and check with MIGRATOR_ON_DRIFT=fail refuse it, changing nothing', async (_what, sql, line) => {
    await upWithViewAndFunction();
    const recorded = await recordedAt();
    await db.query(sql);
    migrations.write('versioned/4_pending.sql', 'CREATE TABLE pending_work (id int);\n');

    const text = await runMigrator(['drift'], { env });
    const json = await runMigrator(['drift', '--json'], { env });
    const up = await runMigrator(['up'], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail' } });
    const check = await runMigrator(['check'], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail' } });

    expect(text.code).toBe(DRIFT_EXIT);
    expect(text.stdout).toBe(`${line}\n`);
    const [object, state] = line.split(': ');
    expect(JSON.parse(json.stdout)).toEqual({ baseline: true, differences: [{ object, state }] });
    expect([up.code, check.code]).toEqual([DRIFT_EXIT, DRIFT_EXIT]);
    expect(String(summaryLine(up).msg)).toContain(line);
    expect(String(summaryLine(up).msg)).toContain('MIGRATOR_ON_DRIFT=fail, so nothing was planned or changed');
    expect(await applied()).toBe(3);
    expect(await db.query(`SELECT to_regclass('pending_work') AS t`)).toEqual([{ t: null }]);
    expect(await recordedAt()).toBe(recorded);
  });

  test('with MIGRATOR_ON_DRIFT=warn, up logs the objects and carries on; ignore does not look', async () => {
    await upWithViewAndFunction();
    await db.query('ALTER TABLE customers ADD COLUMN nickname text');

    const warned = await runMigrator(['up'], { env: { ...env, MIGRATOR_ON_DRIFT: 'warn' } });
    const ignored = await runMigrator(['up'], { env: { ...env, MIGRATOR_ON_DRIFT: 'ignore' } });

    expect([warned.code, ignored.code]).toEqual([0, 0]);
    const warning = logLines(warned).find((entry) => entry.drift !== undefined);
    expect(warning?.level).toBe('warn');
    expect(warning?.drift).toEqual(['column public.customers.nickname: not in any migration']);
    expect(warning?.msg).toContain('carrying on (MIGRATOR_ON_DRIFT=warn)');
    expect(logLines(ignored).some((entry) => entry.drift !== undefined)).toBe(false);
  });

  test('ignored tables and other schemas are no drift', async () => {
    await db.query('CREATE TABLE audit_log (id bigint); CREATE SCHEMA other');
    migrations.write('versioned/3_view_and_function.sql', VIEW_AND_FUNCTION);
    const ignoreEnv = { ...env, MIGRATOR_IGNORE_TABLES: 'audit_log' };
    expect((await runMigrator(['up'], { env: ignoreEnv })).code).toBe(0);
    await db.query(`ALTER TABLE audit_log ADD COLUMN at timestamptz; CREATE INDEX ON audit_log (at);
      CREATE TABLE other.t (id int); CREATE VIEW other.v AS SELECT 1 AS one; CREATE FUNCTION other.f() RETURNS int LANGUAGE sql AS 'SELECT 1'`);

    const drift = await runMigrator(['drift'], { env: ignoreEnv });
    const up = await runMigrator(['up'], { env: { ...ignoreEnv, MIGRATOR_ON_DRIFT: 'fail' } });

    expect(drift.code).toBe(0);
    expect(drift.stdout).toContain('no drift');
    expect(up.code).toBe(0);
  });

  test('a failed run records nothing, not even what its committed steps did; the run that completes does', async () => {
    await upWithViewAndFunction();
    const recorded = await recordedAt();
    migrations.write('versioned/4_ok.sql', 'CREATE TABLE four (id int);\n');
    migrations.write('versioned/5_fails.sql', 'CREATE TABLE five (id int);\nSELECT 1 / 0;\n');

    const failed = await runMigrator(['up'], { env });

    expect(failed.code).toBe(1);
    expect(await applied()).toBe(4);
    expect(await recordedAt()).toBe(recorded);
    // What the failed run committed is not recorded: it shows as drift until an up completes.
    expect((await runMigrator(['drift'], { env })).stdout).toContain('table public.four: not in any migration');

    migrations.write('versioned/5_fails.sql', 'CREATE TABLE five (id int);\n');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['drift'], { env })).code).toBe(0);
  });

  test('a last step without a transaction (CREATE INDEX CONCURRENTLY) is recorded after it, on the same session', async () => {
    await upWithViewAndFunction();
    migrations.write(
      'versioned/4_concurrent_index.sql',
      '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS customers_created_at_idx ON customers (created_at);\n',
    );

    expect((await runMigrator(['up'], { env })).code).toBe(0);
    const drift = await runMigrator(['drift'], { env });

    expect(drift.code).toBe(0);
    const [{ keys }] = await db.query<{ keys: string[] }>(`SELECT array(SELECT jsonb_object_keys(objects)) AS keys FROM ${RECORD}`);
    expect(keys).toContain('index public.customers_created_at_idx');
  });

  test('a database migrated before drift detection: the first up records the schema and says so, then drift compares with it', async () => {
    await upWithViewAndFunction();
    await db.query(`DROP TABLE ${RECORD}`);
    const before = await runMigrator(['drift'], { env });
    const check = await runMigrator(['check'], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail' } });

    const up = await runMigrator(['up'], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail' } });
    const again = await runMigrator(['up'], { env });

    expect([before.code, check.code]).toEqual([0, 0]);
    expect(before.stdout).toContain('no drift baseline yet');
    expect(await db.query(`SELECT to_regclass('${RECORD}') IS NULL AS none`).then((rows) => rows)).toEqual([{ none: false }]);
    expect(up.code).toBe(0);
    expect(logLines(up).some((entry) => entry.msg?.startsWith('no drift baseline yet: recorded one'))).toBe(true);
    expect(logLines(again).some((entry) => entry.msg?.startsWith('no drift baseline yet'))).toBe(false);
    await db.query('DROP INDEX orders_customer_id_idx');
    expect((await runMigrator(['drift'], { env })).stdout).toBe('index public.orders_customer_id_idx: missing\n');
  });

  test('rollback records the schema its down files leave: no drift after it, and up with fail goes on', async () => {
    await upWithViewAndFunction();
    migrations.write('versioned/down/3_view_and_function.sql', 'DROP FUNCTION order_total(orders); DROP VIEW customer_emails;\n');

    expect((await runMigrator(['rollback', '--steps', '1', '--yes'], { env })).code).toBe(0);
    const drift = await runMigrator(['drift'], { env });
    const up = await runMigrator(['up'], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail' } });

    expect(drift.code).toBe(0);
    expect(up.code).toBe(0);
    expect(await applied()).toBe(3);
  });

  test('each fleet tenant has its own record, of its schema alone; fail refuses the tenant that drifted, and it alone', async () => {
    await db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    const targets = ['--targets-sql', "SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"];
    expect((await runMigrator(['fleet', 'up', ...targets], { env })).code).toBe(0);
    const records = await db.query(
      `SELECT 'tenant_a' AS tenant, schemas FROM tenant_a.migrator_schema_fingerprint
       UNION ALL SELECT 'tenant_b', schemas FROM tenant_b.migrator_schema_fingerprint
       UNION ALL SELECT 'public', NULL WHERE to_regclass('public.migrator_schema_fingerprint') IS NOT NULL`,
    );
    expect(records).toEqual([
      { tenant: 'tenant_a', schemas: ['tenant_a'] },
      { tenant: 'tenant_b', schemas: ['tenant_b'] },
    ]);
    await db.query('ALTER TABLE tenant_a.customers ADD COLUMN nickname text');

    const a = await runMigrator(['drift', '--schema', 'tenant_a'], { env });
    const b = await runMigrator(['drift', '--schema', 'tenant_b'], { env });
    const fleet = await runMigrator(['fleet', 'up', ...targets], { env: { ...env, MIGRATOR_ON_DRIFT: 'fail', LOG_LEVEL: 'info' } });

    expect(a.code).toBe(DRIFT_EXIT);
    expect(a.stdout).toBe('column tenant_a.customers.nickname: not in any migration\n');
    expect(b.code).toBe(0);
    expect(fleet.code).toBe(DRIFT_EXIT);
    const outcomes = Object.fromEntries(
      fleet.lines.filter((line) => line.target !== undefined && line.outcome !== undefined).map((line) => [line.target, line.outcome]),
    );
    expect(outcomes).toEqual({ 'schema:tenant_a': 'failed', 'schema:tenant_b': 'up-to-date' });
  });

  test('MIGRATOR_ON_DRIFT takes ignore, warn or fail only (exit 2)', async () => {
    const result = await runMigrator(['check'], { env: { ...env, MIGRATOR_ON_DRIFT: 'loud' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MIGRATOR_ON_DRIFT must be one of ignore, warn, fail');
  });
});
