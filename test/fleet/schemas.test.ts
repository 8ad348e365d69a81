/**
 * A fleet of schema tenants at scale, through the CLI as users run it: 300 schemas of one database,
 * a poisoned tenant that fails alone and is named, reruns that touch nothing already done, canaries,
 * shards that cover each tenant once, SIGTERM mid-fleet, refusals, and the fleet's gates.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, startMigrator, waitForLine, type CliResult } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { FILE_4, NEWEST, TABLES_AT_NEWEST, writeRelease } from '../support/tenant-release';

const TENANTS = "SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'";
const name = (index: number) => `tenant_${String(index).padStart(3, '0')}`;

/** Per-target lines (those with a target and an outcome), by target. */
function targetLines(result: CliResult): Map<string, Record<string, unknown>> {
  const lines = result.lines.filter((line) => typeof line.target === 'string' && typeof line.outcome === 'string' && !('targets' in line));
  const byTarget = new Map(lines.map((line) => [line.target as string, line]));
  expect(byTarget.size).toBe(lines.length);
  return byTarget;
}

/** The summary: the last line, with the fleet's counts. */
function summary(result: CliResult): Record<string, unknown> {
  const last = result.lines.at(-1);
  expect(last).toHaveProperty('targets');
  return last!;
}

// One fleet up of 300 fresh tenants takes minutes on a loaded machine: it is done once, and each
// test starts from a copy of that database (CREATE DATABASE ... TEMPLATE).
jest.setTimeout(300_000);

describe('a fleet of schema tenants', () => {
  const TOTAL = 300;
  let template: TestDatabase;
  let firstRun: CliResult;
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;

  beforeAll(async () => {
    template = await createDatabase();
    db = template;
    migrations = tempMigrations();
    writeRelease(migrations);
    env = { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' };
    await createTenants(TOTAL);
    firstRun = await fleetUp();
    migrations.remove();
  }, 600_000);
  afterAll(async () => {
    await template?.drop();
  });

  beforeEach(async () => {
    db = await createDatabase(template.name);
    migrations = tempMigrations();
    writeRelease(migrations);
    env = { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' };
  });
  afterEach(async () => {
    migrations.remove();
    await db.drop();
  });

  const createTenants = (count: number) =>
    db.query(
      `DO $$ BEGIN FOR i IN 0..${count - 1} LOOP EXECUTE format('CREATE SCHEMA %I', 'tenant_' || lpad(i::text, 3, '0')); END LOOP; END $$`,
    );
  const fleet = (...args: string[]) => runMigrator(['fleet', ...args], { env });
  const fleetUp = (...args: string[]) => fleet('up', '--targets-sql', TENANTS, '--parallel', '8', ...args);

  /** Each tenant's highest applied version (0 when it has no history). */
  const versions = async (): Promise<Map<string, number>> => {
    const rows = await db.query<{ schema: string; version: number }>(
      `SELECT n.nspname AS schema,
              coalesce((xpath('/row/v/text()', query_to_xml(format('SELECT max(id) AS v FROM %I.migrations WHERE id > 0', n.nspname), false, true, '')))[1]::text::int, 0) AS version
         FROM pg_namespace n WHERE n.nspname LIKE 'tenant\\_%' AND to_regclass(format('%I.migrations', n.nspname)) IS NOT NULL
       UNION ALL
       SELECT n.nspname, 0 FROM pg_namespace n WHERE n.nspname LIKE 'tenant\\_%' AND to_regclass(format('%I.migrations', n.nspname)) IS NULL`,
    );
    return new Map(rows.map((row) => [row.schema, row.version]));
  };
  /** Each tenant's history rows (id, executed_at), for telling whether a run touched it. */
  const histories = async (): Promise<Map<string, string>> => {
    const rows = await db.query<{ schema: string; history: string }>(
      `SELECT n.nspname AS schema,
              query_to_xml(format('SELECT id, name, executed_at FROM %I.migrations ORDER BY id', n.nspname), false, false, '')::text AS history
         FROM pg_namespace n WHERE n.nspname LIKE 'tenant\\_%' AND to_regclass(format('%I.migrations', n.nspname)) IS NOT NULL`,
    );
    return new Map(rows.map((row) => [row.schema, row.history]));
  };
  /** The tenants where a relation of that name exists. */
  const havingRelation = async (relation: string): Promise<string[]> =>
    (
      await db.query<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname = $1 AND n.nspname LIKE 'tenant\\_%' ORDER BY 1`,
        [relation],
      )
    ).map((row) => row.schema);
  const allTenants = (count: number) => Array.from({ length: count }, (_, index) => name(index));

  test('300 tenants: each gets its own history at the newest version and its tables, nothing in public, one line per target', async () => {
    const run = firstRun;

    expect(run.code).toBe(0);
    const lines = targetLines(run);
    expect(lines.size).toBe(TOTAL);
    expect([...lines.keys()].sort()).toEqual(allTenants(300).map((schema) => `schema:${schema}`));
    for (const line of lines.values()) expect(line).toMatchObject({ outcome: 'applied', versionBefore: 0, versionAfter: NEWEST });
    expect(summary(run)).toMatchObject({ targets: 300, outcomes: { applied: 300 }, notStarted: 0, failedTargets: [] });
    // The suite's role is a superuser: said once for the run, not once per tenant.
    expect(run.lines.filter((line) => String(line.msg).startsWith('running as a superuser'))).toHaveLength(1);

    const at = await versions();
    expect(at.size).toBe(300);
    expect(new Set(at.values())).toEqual(new Set([NEWEST]));
    const rows = await db.query<{ schema: string; tables: string[] }>(
      `SELECT table_schema AS schema, array_agg(table_name::text ORDER BY table_name) AS tables
         FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY 1`,
    );
    expect(rows).toHaveLength(300);
    for (const row of rows) {
      expect(row.schema).toMatch(/^tenant_\d{3}$/);
      expect(row.tables).toEqual(TABLES_AT_NEWEST);
    }
    expect(await havingRelation('accounts_email_idx')).toHaveLength(300);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`)).toEqual([{ n: 0 }]);
  });

  test('a poisoned tenant fails alone and is named, keeps nothing of the release; a rerun fails it again and touches no other', async () => {
    const poisoned = 'tenant_150';
    await db.query(`CREATE VIEW ${poisoned}.audit_log AS SELECT 1 AS id`);
    migrations.write('versioned/4_audit_log.sql', FILE_4);

    const run = await fleetUp('--max-failures', '5');

    expect(run.code).toBe(1);
    const lines = targetLines(run);
    expect(lines.size).toBe(TOTAL);
    expect(lines.get(`schema:${poisoned}`)).toMatchObject({ outcome: 'failed', exitCode: 1, versionBefore: NEWEST, versionAfter: NEWEST });
    const failed = [...lines.values()].filter((line) => line.outcome === 'failed').map((line) => line.target);
    expect(failed).toEqual([`schema:${poisoned}`]);
    const first = summary(run);
    expect(first).toMatchObject({ targets: 300, outcomes: { applied: 299, failed: 1 }, notStarted: 0 });
    expect(first.failedTargets).toEqual([{ target: `schema:${poisoned}`, message: expect.stringContaining('audit_log') }]);

    const at = await versions();
    expect(at.get(poisoned)).toBe(NEWEST);
    expect([...at].filter(([schema, version]) => schema !== poisoned && version !== 4)).toEqual([]);
    // Its transaction was rolled back: the index that came before the failing statement is gone too.
    expect(await havingRelation('notes_body_idx')).toEqual(allTenants(300).filter((schema) => schema !== poisoned));
    expect(await db.query(`SELECT relkind::text AS kind FROM pg_class WHERE oid = '${poisoned}.audit_log'::regclass`)).toEqual([
      { kind: 'v' },
    ]);

    const before = await histories();
    const rerun = await fleetUp('--max-failures', '5');

    expect(rerun.code).toBe(1);
    const again = targetLines(rerun);
    expect(again.get(`schema:${poisoned}`)).toMatchObject({ outcome: 'failed', exitCode: 1, versionAfter: NEWEST });
    expect(summary(rerun)).toMatchObject({ targets: 300, outcomes: { 'up-to-date': 299, failed: 1 }, notStarted: 0 });
    expect(summary(rerun).failedTargets).toEqual(first.failedTargets);
    expect(await histories()).toEqual(before);
    expect((await versions()).get(poisoned)).toBe(NEWEST);
  });

  test('--max-failures 0 with a poisoned tenant early in the order: no new target starts after it', async () => {
    await db.query('CREATE VIEW tenant_002.audit_log AS SELECT 1 AS id');
    migrations.write('versioned/4_audit_log.sql', FILE_4);

    const run = await fleetUp('--max-failures', '0');

    expect(run.code).toBe(1);
    const result = summary(run);
    expect(result).toMatchObject({ targets: 300, stopped: 'max-failures', outcomes: { failed: 1 } });
    expect(result.failedTargets).toEqual([{ target: 'schema:tenant_002', message: expect.any(String) }]);
    const lines = targetLines(run);
    const started = lines.size;
    expect(result.notStarted).toBeGreaterThan(0);
    // No target started after the failure was logged (a line's time minus its duration is when it started).
    const failedAt = Date.parse(lines.get('schema:tenant_002')!.time as string);
    for (const line of lines.values())
      expect(Date.parse(line.time as string) - (line.durationMs as number)).toBeLessThanOrEqual(failedAt + 50);
    expect(result.notStarted).toBe(300 - started);
    const at = await versions();
    expect([...at.values()].filter((version) => version === 4)).toHaveLength(started - 1);
    const applied = [...lines.values()]
      .filter((line) => line.outcome === 'applied')
      .map((line) => (line.target as string).slice('schema:'.length));
    expect(await havingRelation('notes_body_idx')).toEqual(applied.sort());
  });

  test('--canary 3 with a poisoned canary: only the first 3 targets ran, no other tenant changed', async () => {
    await db.query('CREATE VIEW tenant_001.audit_log AS SELECT 1 AS id');
    migrations.write('versioned/4_audit_log.sql', FILE_4);
    const before = await histories();

    const run = await fleetUp('--canary', '3', '--max-failures', '10');

    expect(run.code).toBe(1);
    expect([...targetLines(run).keys()].sort()).toEqual(['schema:tenant_000', 'schema:tenant_001', 'schema:tenant_002']);
    expect(summary(run)).toMatchObject({ targets: TOTAL, notStarted: TOTAL - 3, stopped: 'canary', outcomes: { applied: 2, failed: 1 } });
    const after = await histories();
    for (const schema of allTenants(TOTAL).slice(3)) expect(after.get(schema)).toBe(before.get(schema));
    expect(await havingRelation('notes_body_idx')).toEqual(['tenant_000', 'tenant_002']);
  });

  test('3 shards, run side by side, migrate each tenant exactly once', async () => {
    migrations.write('versioned/4_audit_log.sql', FILE_4);

    const runs = await Promise.all([0, 1, 2].map((index) => fleetUp('--shard', `${index}/3`, '--parallel', '3')));

    const shards = runs.map((run) => {
      expect(run.code).toBe(0);
      return [...targetLines(run).keys()];
    });
    for (const shard of shards) expect(shard.length).toBeGreaterThan(50);
    const all = shards.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(allTenants(300).map((schema) => `schema:${schema}`));
    const counts = await db.query<{ schema: string; rows: number; ids: number }>(
      `SELECT n.nspname AS schema,
              (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.migrations WHERE id > 0', n.nspname), false, true, '')))[1]::text::int AS rows,
              (xpath('/row/n/text()', query_to_xml(format('SELECT count(DISTINCT id) AS n FROM %I.migrations WHERE id > 0', n.nspname), false, true, '')))[1]::text::int AS ids
         FROM pg_namespace n WHERE n.nspname LIKE 'tenant\\_%'`,
    );
    expect(counts).toHaveLength(300);
    for (const row of counts) expect(row).toEqual({ schema: row.schema, rows: 4, ids: 4 });
  });

  test('SIGTERM mid-fleet exits 143 and leaves no tenant half-applied', async () => {
    // The table first, then a wait: a tenant stopped during the wait would keep the table if its step were not rolled back.
    migrations.write('versioned/4_slow.sql', 'CREATE TABLE slow_marker (id int);\nSELECT pg_sleep(0.6);\n');

    const { child, done } = startMigrator(['fleet', 'up', '--targets-sql', TENANTS, '--parallel', '8'], { env });
    // waitForLine may show the predicate a line more than once, so it counts distinct targets.
    const seen = new Set<unknown>();
    await waitForLine(child, (line) => {
      if (line.outcome === 'applied' && typeof line.target === 'string' && !('targets' in line)) seen.add(line.target);
      return seen.size >= 8;
    });
    child.kill('SIGTERM');
    const run = await done;

    expect(run.code).toBe(143);
    const at = await versions();
    const withMarker = new Set(await havingRelation('slow_marker'));
    const [done4, old] = [[...at].filter(([, v]) => v === 4), [...at].filter(([, v]) => v === NEWEST)];
    expect(done4.length + old.length).toBe(TOTAL);
    expect(done4.length).toBeGreaterThanOrEqual(8);
    expect(old.length).toBeGreaterThan(0);
    for (const [schema] of done4) expect(withMarker.has(schema)).toBe(true);
    for (const [schema] of old) expect(withMarker.has(schema)).toBe(false);
    // The lines say the same: every tenant reported applied is at 4.
    const applied = [...targetLines(run).values()].filter((line) => line.outcome === 'applied').map((line) => line.target);
    expect(applied.sort()).toEqual(done4.map(([schema]) => `schema:${schema}`).sort());
  });

  describe('refusals touch nothing', () => {
    const targetsFile = (text: string) => {
      const file = path.join(migrations.dir, '..', `${path.basename(migrations.dir)}-targets.txt`);
      writeFileSync(file, text);
      return file;
    };
    const refused = async (args: string[], code: number, message: RegExp) => {
      migrations.write('versioned/4_audit_log.sql', FILE_4);
      const before = await histories();
      const run = await fleet('up', ...args);
      expect(run.code).toBe(code);
      expect(`${run.stdout}${run.stderr}`).toMatch(message);
      expect(await histories()).toEqual(before);
      expect(await havingRelation('audit_log')).toEqual([]);
      return run;
    };

    test('a targets file with a duplicate, with an unknown kind (exit 2)', async () => {
      await refused(['--targets-file', targetsFile('schema:tenant_000\nschema:tenant_001\nschema:tenant_000\n')], 2, /listed twice/);
      await refused(['--targets-file', targetsFile('schema:tenant_000\ntable:tenant_001\n')], 2, /is not schema:NAME or database:NAME/);
    });

    test('--targets-sql returning two columns (exit 2)', async () => {
      await refused(['--targets-sql', 'SELECT nspname AS schema, oid FROM pg_namespace'], 2, /must return one column/);
    });

    test('a pending file that is empty (exit 6): no tenant changed', async () => {
      migrations.write('versioned/5_empty.sql', '-- nothing yet\n');
      await refused(['--targets-sql', TENANTS], 6, /holds no statement/);
    });

    test('an applied file edited (exit 6): no tenant changed', async () => {
      migrations.write('versioned/2_notes_created_at.sql', 'ALTER TABLE notes ADD COLUMN IF NOT EXISTS updated_at timestamptz;\n');
      const run = await refused(['--targets-sql', TENANTS, '--max-failures', '10'], 6, /2_notes_created_at/);
      for (const line of targetLines(run).values()) expect(line).toMatchObject({ outcome: 'failed', exitCode: 6 });
    });

    test('a schema target that does not exist fails that target with exit 2; the fleet exits 2', async () => {
      const run = await fleet(
        'up',
        '--targets-file',
        targetsFile('# tenants\nschema:tenant_000\n\nschema:tenant_nope\nschema:tenant_001\n'),
        '--max-failures',
        '5',
      );
      expect(run.code).toBe(2);
      const lines = targetLines(run);
      expect(lines.get('schema:tenant_nope')).toMatchObject({ outcome: 'failed', exitCode: 2 });
      expect(await db.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'tenant_nope'`)).toEqual([{ n: 0 }]);
    });
  });

  test('fleet check and check --schema gate; fleet status shows the versions', async () => {
    // Ten of the tenants: a check of one behind runs its whole pipeline.
    const FEW = "SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_00%'";
    expect((await fleet('check', '--targets-sql', FEW)).code).toBe(0);
    migrations.write('versioned/4_audit_log.sql', FILE_4);
    const only = path.join(migrations.dir, '..', `${path.basename(migrations.dir)}-only.txt`);
    writeFileSync(only, 'schema:tenant_007\nschema:tenant_008\n');
    expect((await fleet('up', '--targets-file', only)).code).toBe(0);

    // The default failure budget (0) stops a fleet check at its first tenant behind: to list them all, raise it.
    const check = await fleet('check', '--targets-sql', FEW, '--max-failures', '10');
    expect(check.code).toBe(3);
    const checked = targetLines(check);
    expect([...checked.values()].filter((line) => line.outcome === 'pending')).toHaveLength(8);
    expect(checked.get('schema:tenant_007')).toMatchObject({ outcome: 'up-to-date', versionAfter: 4 });
    expect((await runMigrator(['check', '--schema', 'tenant_007'], { env })).code).toBe(0);
    expect((await runMigrator(['check', '--schema', 'tenant_000'], { env })).code).toBe(3);

    const status = await fleet('status', '--targets-sql', FEW, '--json');
    expect(status.code).toBe(0);
    const data = JSON.parse(status.stdout) as { targets: number; versions: unknown; behind: string[]; failed: unknown[] };
    expect(data.targets).toBe(10);
    expect(data.versions).toEqual([
      { version: 4, targets: 2 },
      { version: NEWEST, targets: 8 },
    ]);
    expect(data.behind).toHaveLength(8);
    expect(data.behind).not.toContain('schema:tenant_007');
    expect(data.failed).toEqual([]);
    const text = await fleet('status', '--targets-sql', FEW);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/10 target\(s\)\n\s*version\s+targets\n\s+4\s+2\s+#{10}\n\s+3\s+8\s+#{40}\n/);
    expect(text.stdout).toContain('behind (up has work): schema:tenant_000, schema:tenant_001, schema:tenant_002,');
  });
});
