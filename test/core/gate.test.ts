/**
 * The gate an app runs before it starts (`check`, assertSchemaCurrent): truthful with read rights
 * alone, patient with --wait, never "current" for a folder that holds nothing, and free of
 * side effects (no .js migration is run by a read-only command).
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-key';
import { ConfigError, MigrationRunningError, SchemaNotCurrentError } from '../../src/errors';
import { assertSchemaCurrent } from '../../src/index';
import { createLogger } from '../../src/log';
import { runMigrator, startMigrator, summaryLine } from '../support/cli';
import type { TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('the gate', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  let readOnly: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  /** A role as an app has: it may connect, use the schema and read rows, nothing else. */
  beforeEach(async () => {
    const role = `ro_${db.name}`;
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'ro-secret'; GRANT CONNECT ON DATABASE ${db.name} TO ${role}; GRANT USAGE ON SCHEMA public TO ${role};
                    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${role}`);
    readOnly = { DATABASE_URL: `postgres://${role}:ro-secret@${db.host}:${db.port}/${db.name}`, MIGRATIONS_DIR: migrations.dir };
  });
  afterEach(async () => {
    // After the test's database is gone (its hook runs first), the role owns nothing any more.
    const admin = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ro_${db.name}`).finally(() => admin.end());
  });

  test("with the app's read-only role: 3 before up, 0 after it, 3 again when a release brings work", async () => {
    const before = await runMigrator(['check'], { env: readOnly });
    expect(before.code).toBe(3);
    expect(summaryLine(before)).toMatchObject({ level: 'warn', outcome: 'pending' });

    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['check'], { env: readOnly })).code).toBe(0);

    // A new release: a changed legacy script, a new table, a new migration, each on its own.
    migrations.write('legacy/002_new_repair.sql', 'UPDATE customers SET email = lower(email) WHERE email <> lower(email);\n');
    const legacy = await runMigrator(['check'], { env: readOnly });
    expect(legacy.code).toBe(3);
    expect(summaryLine(legacy).msg).toMatch(
      /first legacy\/002_new_repair\.sql \(repair \(this role may not run it, and up has not run this release's legacy scripts yet\)\)/,
    );
    // The owner may dry-run it: it finds nothing to repair. Once up has run it, the app's role agrees.
    expect((await runMigrator(['check'], { env })).code).toBe(0);
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['check'], { env: readOnly })).code).toBe(0);

    migrations.write('versioned/3_more.sql', 'SELECT 1;\n');
    expect((await runMigrator(['check'], { env: readOnly })).code).toBe(3);
  });

  test('a no-op up by a role that may not create tables, on a database migrated before drift detection: exit 0, no record, and a warning that says why', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await db.query('DROP TABLE migrator_schema_fingerprint');

    const noOp = await runMigrator(['up'], { env: readOnly });

    expect(noOp.code).toBe(0);
    expect(summaryLine(noOp)).toMatchObject({ outcome: 'up-to-date', exitCode: 0 });
    expect(noOp.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: expect.stringMatching(/^no drift baseline yet, and this role may not create tables in schema public: none recorded/),
      }),
    );
    expect(await db.query(`SELECT to_regclass('migrator_schema_fingerprint') IS NULL AS none`)).toEqual([{ none: true }]);
    // The owner's next up records it, as for any database from before drift detection.
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect(await db.query(`SELECT to_regclass('migrator_schema_fingerprint') IS NULL AS none`)).toEqual([{ none: false }]);
  });

  test('check --wait: exits 0 once another runner has applied everything', async () => {
    const waiting = startMigrator(['check', '--wait', '--timeout', '60'], { env: readOnly });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await runMigrator(['up'], { env })).code).toBe(0);

    const result = await waiting.done;

    expect(result.code).toBe(0);
    expect(result.lines.some((line) => String(line.msg).startsWith('waiting for the schema: the schema is not current'))).toBe(true);
    expect(summaryLine(result)).toMatchObject({ outcome: 'up-to-date', exitCode: 0 });
  });

  test('check --wait gives up at --timeout with exit 3; --timeout without --wait is a usage error', async () => {
    const result = await runMigrator(['check', '--wait', '--timeout', '3'], { env: readOnly });
    expect(result.code).toBe(3);
    expect((await runMigrator(['check', '--timeout', '3'], { env: readOnly })).code).toBe(2);
  });

  test("assertSchemaCurrent with the app's pool: a folder that does not exist or is empty is a ConfigError, never current", async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    const pool = new pg.Pool({ connectionString: readOnly.DATABASE_URL });
    const empty = path.join(os.tmpdir(), `migrator-empty-${db.name}`);
    mkdirSync(path.join(empty, 'versioned'), { recursive: true });
    const logger = createLogger({ level: 'silent' });
    try {
      await expect(assertSchemaCurrent(pool, { migrationsDir: migrations.dir, logger })).resolves.toMatchObject({ steps: [] });
      await expect(assertSchemaCurrent(pool, { migrationsDir: path.join(migrations.dir, 'typo'), logger })).rejects.toThrow(ConfigError);
      await expect(assertSchemaCurrent(pool, { migrationsDir: empty, logger })).rejects.toThrow(/holds no migration/);
      migrations.write('versioned/3_more.sql', 'SELECT 1;\n');
      await expect(assertSchemaCurrent(pool, { migrationsDir: migrations.dir, logger })).rejects.toThrow(SchemaNotCurrentError);
    } finally {
      await pool.end();
    }
  });

  test("while a migration holds the lock, the read-only role's check and assertSchemaCurrent answer that it runs, and hold no lock after", async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    const writer = await db.connect();
    const pool = new pg.Pool({ connectionString: readOnly.DATABASE_URL, max: 1 });
    const logger = createLogger({ level: 'silent' });
    const migrationLocks = async () =>
      (
        await db.query<{ mode: string }>(
          `SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND a.usename = $3`,
          [MIGRATION_LOCK_KEY[0], MIGRATION_LOCK_KEY[1], `ro_${db.name}`],
        )
      ).map((row) => row.mode);
    try {
      const { rows } = await writer.query<{ pid: number }>(
        `SELECT pg_backend_pid() AS pid, pg_advisory_lock(${MIGRATION_LOCK_KEY[0]}, ${MIGRATION_LOCK_KEY[1]})`,
      );
      const checked = await runMigrator(['check'], { env: readOnly });
      expect(checked.code).toBe(3);
      expect(summaryLine(checked)).toMatchObject({ outcome: 'pending', exitCode: 3, errorType: 'MigrationRunningError' });
      expect(checked.stdout + checked.stderr).toContain(`a migration is running (pid ${rows[0].pid}`);

      await expect(assertSchemaCurrent(pool, { migrationsDir: migrations.dir, logger })).rejects.toThrow(MigrationRunningError);
      expect(await migrationLocks()).toEqual([]);
      await writer.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY[0]}, ${MIGRATION_LOCK_KEY[1]})`);

      // Free again: the shared lock is taken for the plan and released before the connection goes back to the pool.
      await expect(assertSchemaCurrent(pool, { migrationsDir: migrations.dir, logger })).resolves.toMatchObject({ steps: [] });
      expect(await migrationLocks()).toEqual([]);
      expect((await runMigrator(['check'], { env: readOnly })).code).toBe(0);
    } finally {
      await writer.end();
      await pool.end();
    }
  });
});

describe('read-only commands and .js migrations', () => {
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ migrations, env } = fresh));

  test('plan, status, check and verify never run a .js migration; up does', async () => {
    const marker = path.join(migrations.dir, 'ran.marker');
    migrations.write(
      'versioned/3_generated.js',
      `module.exports.generateSql = () => { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); return 'CREATE TABLE generated (id int);'; };\n`,
    );

    for (const args of [['plan', '--sql'], ['status'], ['check'], ['verify']]) {
      const result = await runMigrator(args, { env });
      expect([0, 3]).toContain(result.code);
      expect(existsSync(marker)).toBe(false);
    }
    const plan = await runMigrator(['plan', '--sql'], { env });
    expect(plan.stdout).toContain('-- generated by versioned/3_generated.js when up runs');

    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const verify = await runMigrator(['verify'], { env });
    expect(summaryLine(verify)).toMatchObject({ applied: 3, unverified: ['3_generated.js'] });
  });

  test('an empty migrations folder is refused by every command that reads it (exit 2)', async () => {
    const empty = tempMigrations();
    try {
      for (const command of ['up', 'check', 'plan']) {
        const result = await runMigrator([command], { env: { ...env, MIGRATIONS_DIR: empty.dir } });
        expect(result.code).toBe(2);
        expect(result.stdout + result.stderr).toMatch(
          /holds no migration \(no \.sql file in legacy\/, tables\/, versioned\/ or repeatable\/\)/,
        );
      }
    } finally {
      empty.remove();
    }
  });
});
