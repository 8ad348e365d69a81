/**
 * A fleet of database tenants, through the CLI as users run it: 50 databases on DATABASE_URL's
 * server listed in a targets file, migrated side by side; a poisoned one fails alone and is named.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runMigrator, type CliResult } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { FILE_4, NEWEST, TABLES_AT_NEWEST, writeRelease } from '../support/tenant-release';

jest.setTimeout(300_000);

const TENANTS = Array.from({ length: 50 }, (_, index) => `t_${String(index + 1).padStart(2, '0')}`);

describe('a fleet of database tenants', () => {
  let main: TestDatabase;
  let migrations: TempMigrations;
  let targetsFile: string;

  /** Runs one query in each tenant's database: by tenant. */
  const inEach = async <R extends pg.QueryResultRow>(sql: string): Promise<Map<string, R[]>> => {
    const results = new Map<string, R[]>();
    for (const tenant of TENANTS) {
      const client = new pg.Client({ host: main.host, port: main.port, user: main.user, password: main.password, database: tenant });
      await client.connect();
      try {
        results.set(tenant, (await client.query<R>(sql)).rows);
      } finally {
        await client.end();
      }
    }
    return results;
  };
  const versions = async () =>
    new Map(
      [...(await inEach<{ version: number }>('SELECT max(id)::int AS version FROM migrations WHERE id > 0'))].map(([tenant, rows]) => [
        tenant,
        rows[0].version,
      ]),
    );
  const fleetUp = (...args: string[]) =>
    runMigrator(['fleet', 'up', '--targets-file', targetsFile, '--parallel', '8', ...args], {
      env: { ...main.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' },
    });
  const targetLines = (result: CliResult) =>
    new Map(
      result.lines
        .filter((line) => typeof line.target === 'string' && typeof line.outcome === 'string')
        .map((line) => [line.target as string, line]),
    );

  beforeAll(async () => {
    main = await createDatabase();
    for (const tenant of TENANTS) await main.query(`CREATE DATABASE ${tenant}`);
    migrations = tempMigrations();
    writeRelease(migrations);
    targetsFile = path.join(migrations.dir, '..', `${path.basename(migrations.dir)}-tenants.txt`);
    const listed = TENANTS.map((tenant, index) => (index % 10 === 0 ? `\n# tenants from ${tenant}\n` : '') + `database:${tenant}`);
    writeFileSync(targetsFile, `# one database per tenant\n${listed.join('\n')}\n\n`);
  }, 300_000);
  afterAll(async () => {
    for (const tenant of TENANTS) await main?.query(`DROP DATABASE IF EXISTS ${tenant} WITH (FORCE)`);
    migrations?.remove();
    await main?.drop();
  });

  test('50 databases: each gets the tables and the history at the newest version', async () => {
    const run = await fleetUp();

    expect(run.code).toBe(0);
    const lines = targetLines(run);
    expect([...lines.keys()].sort()).toEqual(TENANTS.map((tenant) => `database:${tenant}`));
    for (const line of lines.values()) expect(line).toMatchObject({ outcome: 'applied', versionBefore: 0, versionAfter: NEWEST });
    expect(run.lines.at(-1)).toMatchObject({ targets: 50, outcomes: { applied: 50 }, notStarted: 0, failedTargets: [] });
    const tables = await inEach<{ table: string }>(
      `SELECT table_name::text AS table FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    for (const rows of tables.values()) expect(rows.map((row) => row.table)).toEqual(TABLES_AT_NEWEST);
    expect(new Set((await versions()).values())).toEqual(new Set([NEWEST]));
    // Nothing went to DATABASE_URL's own database.
    expect(await main.query(`SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace`)).toEqual([{ n: 0 }]);
  });

  test('a poisoned database fails alone and is named; the others reach the new version', async () => {
    const poisoned = 't_17';
    const client = new pg.Client({ host: main.host, port: main.port, user: main.user, password: main.password, database: poisoned });
    await client.connect();
    await client.query('CREATE VIEW audit_log AS SELECT 1 AS id').finally(() => client.end());
    migrations.write('versioned/4_audit_log.sql', FILE_4);

    const run = await fleetUp('--max-failures', '5');

    expect(run.code).toBe(1);
    const lines = targetLines(run);
    expect(lines.get(`database:${poisoned}`)).toMatchObject({ outcome: 'failed', exitCode: 1, versionAfter: NEWEST });
    expect([...lines.values()].filter((line) => line.outcome === 'failed').map((line) => line.target)).toEqual([`database:${poisoned}`]);
    expect(run.lines.at(-1)).toMatchObject({
      targets: 50,
      outcomes: { applied: 49, failed: 1 },
      failedTargets: [{ target: `database:${poisoned}`, message: expect.stringContaining('audit_log') }],
    });
    const at = await versions();
    expect([...at].filter(([, version]) => version !== 4)).toEqual([[poisoned, NEWEST]]);
    const index = await inEach<{ index: string | null }>(`SELECT to_regclass('notes_body_idx')::text AS index`);
    expect([...index].filter(([, rows]) => rows[0].index === null).map(([tenant]) => tenant)).toEqual([poisoned]);
  });
});
