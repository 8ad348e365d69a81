/** new, baseline, rollback and the backup hook: each one's success and refusal path. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { assertSchemaCurrent } from '../../src/index';
import { SchemaNotCurrentError } from '../../src/errors';
import { runsInTransaction } from '../../src/history';
import { runMigrator, startMigrator, summaryLine } from '../support/cli';
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { fixturePath, SAMPLE_MIGRATIONS, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { schemaSnapshot } from '../support/schema';

describe('write commands', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  describe('new', () => {
    test('creates the next migration and its down file from the template', async () => {
      const result = await runMigrator(['new', 'add_customer_tier'], { env });

      expect(result.code).toBe(0);
      const file = path.join(migrations.dir, 'versioned', '3_add_customer_tier.sql');
      expect(summaryLine(result)).toMatchObject({
        file,
        downFile: path.join(migrations.dir, 'versioned', 'down', '3_add_customer_tier.sql'),
      });
      expect(readFileSync(file, 'utf8')).toContain('ADD COLUMN IF NOT EXISTS');
      // The template explains the no-transaction marker without containing it: the library finds it anywhere.
      expect(runsInTransaction(readFileSync(file, 'utf8'))).toBe(true);
      // Until its SQL is written, up refuses it instead of burning its id.
      const early = await runMigrator(['up'], { env });
      expect(early.code).toBe(6);
      expect(summaryLine(early).msg).toMatch(
        /versioned\/3_add_customer_tier\.sql holds no statement \(it is empty or only comments\): write its SQL; for a step that intentionally does nothing, write SELECT 1;/,
      );
      expect(await appliedVersions(db)).toHaveLength(0);
      writeFileSync(file, `${readFileSync(file, 'utf8')}\nALTER TABLE customers ADD COLUMN IF NOT EXISTS tier text;\n`);
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      expect(await appliedVersions(db)).toHaveLength(3);
    });

    test('--repeatable writes repeatable/NNN_<slug>.sql after the others, with no down file; up runs it once written', async () => {
      migrations.write('repeatable/010_a_view.sql', 'CREATE OR REPLACE VIEW a_view AS SELECT 1 AS one;');

      const result = await runMigrator(['new', '--repeatable', 'customer_count'], { env });

      expect(result.code).toBe(0);
      const file = path.join(migrations.dir, 'repeatable', '020_customer_count.sql');
      expect(summaryLine(result)).toMatchObject({ file });
      expect(summaryLine(result)).not.toHaveProperty('downFile');
      expect(readFileSync(file, 'utf8')).toContain('CREATE OR REPLACE VIEW');
      writeFileSync(file, `${readFileSync(file, 'utf8')}CREATE OR REPLACE VIEW customer_count AS SELECT count(*) AS n FROM customers;\n`);
      const again = await runMigrator(['new', '--repeatable', 'customer_count'], { env });
      expect(again.code).toBe(2);
      expect(summaryLine(again).msg).toMatch(/already used by repeatable\/020_customer_count\.sql/);
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      expect(await db.query('SELECT n::int FROM customer_count')).toEqual([{ n: 0 }]);
    });

    test.each([
      ['bad characters', 'Add Tier!', /must be lower-case letters and digits/],
      ['a slug already used', 'customers_display_name', /already used by versioned\/2_customers_display_name\.sql/],
      ['a slug too long', 'x'.repeat(101), /at most 100/],
    ])('refuses %s with exit 2 and writes nothing', async (_case, slug, message) => {
      const result = await runMigrator(['new', slug], { env });
      expect(result.code).toBe(2);
      expect(summaryLine(result).msg).toMatch(message);
      expect(existsSync(path.join(migrations.dir, 'versioned', `3_${slug}.sql`))).toBe(false);
    });
  });

  describe('baseline', () => {
    test('records migrations as applied without running them, for a database built by other means', async () => {
      migrations.write('versioned/3_sentinel.sql', 'CREATE TABLE sentinel (id int);');
      // The schema that migrations 1-3 would build, made by hand.
      await db.query(`CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                      created_at timestamptz NOT NULL DEFAULT now(), display_name text)`);

      const result = await runMigrator(['baseline', '3'], { env });

      expect(result.code).toBe(0);
      expect(summaryLine(result)).toMatchObject({ recorded: 3 });
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3]);
      expect(await tableNames(db)).not.toContain('sentinel');
      // The library agrees with what baseline wrote: a following up has no versioned work.
      const up = await runMigrator(['up'], { env });
      expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: 3 });
    });

    test('refuses when the history already goes that far, or the id has no file', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      const before = await schemaSnapshot(db);

      const behind = await runMigrator(['baseline', '1'], { env });
      const unknown = await runMigrator(['baseline', '9'], { env });

      expect(behind.code).toBe(6);
      expect(summaryLine(behind).msg).toMatch(/already records migrations up to 2/);
      expect(unknown.code).toBe(2);
      expect(await schemaSnapshot(db)).toEqual(before);
    });
  });

  describe('rollback', () => {
    test('--steps 1 --yes runs the newest down file and removes its history row', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);

      const result = await runMigrator(['rollback', '--steps', '1', '--yes'], { env });

      expect(result.code).toBe(0);
      expect(summaryLine(result)).toMatchObject({ rolledBack: ['2_customers_display_name.sql'] });
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1]);
      const columns = await db.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'display_name'`,
      );
      expect(columns).toEqual([]);
    });

    test('without --yes and without a terminal it refuses (exit 2) and changes nothing', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      const before = await schemaSnapshot(db);
      const result = await runMigrator(['rollback'], { env });
      expect(result.code).toBe(2);
      expect(summaryLine(result).msg).toMatch(/rollback is destructive: pass --yes/);
      expect(await schemaSnapshot(db)).toEqual(before);
    });

    test('a missing down file: refused with exit 6, nothing rolled back', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      rmSync(path.join(migrations.dir, 'versioned', 'down', '1_orders_customer_index.sql'));
      const before = await schemaSnapshot(db);

      const result = await runMigrator(['rollback', '--to', '0', '--yes'], { env });

      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(
        /no down file for 1_orders_customer_index\.sql \(expected versioned\/down\/1_orders_customer_index\.sql\)/,
      );
      expect(await schemaSnapshot(db)).toEqual(before);
    });

    test('a FIFO as a down file: refused with exit 6 without being opened (no writer ever comes), nothing rolled back', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      const down = path.join(migrations.dir, 'versioned', 'down', '2_customers_display_name.sql');
      rmSync(down);
      execFileSync('mkfifo', [down]);
      const before = await schemaSnapshot(db);

      const run = startMigrator(['rollback', '--steps', '1', '--yes'], { env });
      // A hang guard: the blocked read held the run until killed.
      const guard = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
      const result = await run.done;
      clearTimeout(guard);

      expect(result.signal).toBeNull();
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(
        /^versioned\/down\/2_customers_display_name\.sql is a FIFO \(named pipe\), not a regular file, so it was not opened/,
      );
      expect(await schemaSnapshot(db)).toEqual(before);
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
    });

    test('a down file linked to a file outside the migrations folder: refused with exit 6, its SQL never run', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      const outside = `${migrations.dir}-outside.sql`;
      writeFileSync(outside, 'DROP TABLE customers CASCADE;\n');
      const down = path.join(migrations.dir, 'versioned', 'down', '2_customers_display_name.sql');
      rmSync(down);
      symlinkSync(outside, down);
      const before = await schemaSnapshot(db);

      try {
        const result = await runMigrator(['rollback', '--steps', '1', '--yes'], { env });

        expect(result.code).toBe(6);
        expect(summaryLine(result).msg).toMatch(
          /^versioned\/down\/2_customers_display_name\.sql is a symbolic link to .*-outside\.sql, outside the migrations folder: it was not read/,
        );
        expect(await schemaSnapshot(db)).toEqual(before);
        expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
      } finally {
        rmSync(outside, { force: true });
      }
    });

    test('a down file linked inside the migrations folder is followed', async () => {
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      const downDir = path.join(migrations.dir, 'versioned', 'down');
      mkdirSync(path.join(migrations.dir, 'shared'));
      renameSync(path.join(downDir, '2_customers_display_name.sql'), path.join(migrations.dir, 'shared', 'drop_display_name.sql'));
      symlinkSync('../../shared/drop_display_name.sql', path.join(downDir, '2_customers_display_name.sql'));

      const result = await runMigrator(['rollback', '--steps', '1', '--yes'], { env });

      expect(result.code).toBe(0);
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1]);
    });

    test('up, rollback to 0, up again: the same schema (over the whole sample history)', async () => {
      const sample = { ...db.env, MIGRATIONS_DIR: SAMPLE_MIGRATIONS };
      for (const target of [env, sample]) {
        const other = await createDatabase();
        try {
          const otherEnv = { ...target, DATABASE_URL: other.url };
          expect((await runMigrator(['up'], { env: otherEnv })).code).toBe(0);
          const first = await schemaSnapshot(other);
          const down = await runMigrator(['rollback', '--to', '0', '--yes'], { env: otherEnv });
          expect(down.code).toBe(0);
          expect(await appliedVersions(other)).toEqual([]);
          expect((await runMigrator(['up'], { env: otherEnv })).code).toBe(0);
          const again = (await schemaSnapshot(other)) as { history: Array<Record<string, unknown>> };
          const strip = (snapshot: unknown) => ({
            ...(snapshot as object),
            history: (snapshot as typeof again).history.map(({ executed_at: _, ...row }) => row),
          });
          expect(strip(again)).toEqual(strip(first));
        } finally {
          await other.drop();
        }
      }
    });
  });

  describe('MIGRATOR_BACKUP_COMMAND', () => {
    const backupFile = () => path.join(os.tmpdir(), `backup-${db.name}.env`);
    afterEach(() => rmSync(backupFile(), { force: true }));

    test('runs before up changes anything, with the connection in libpq variables; not when there is nothing to do', async () => {
      const command = `env | grep '^PG' | sort > ${backupFile()}`;

      const first = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: command } });

      expect(first.code).toBe(0);
      const seen = readFileSync(backupFile(), 'utf8');
      expect(seen).toContain(`PGDATABASE=${db.name}`);
      expect(seen).toContain(`PGPASSWORD=${db.password}`);
      expect(first.lines.findIndex((line) => line.msg === 'backup done')).toBeLessThan(
        first.lines.findIndex((line) => line.msg === 'table created'),
      );

      rmSync(backupFile());
      const second = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: command } });
      expect(second.code).toBe(0);
      expect(existsSync(backupFile())).toBe(false);
    });

    test('a failing backup stops the run with exit 7 before anything changes', async () => {
      const result = await runMigrator(['up'], { env: { ...env, MIGRATOR_BACKUP_COMMAND: 'echo disk full >&2; exit 3' } });

      expect(result.code).toBe(7);
      expect(summaryLine(result).msg).toMatch(/the backup command failed \(exit 3\); nothing was changed/);
      expect(result.stderr).toContain('disk full');
      expect(await tableNames(db)).toEqual([]);
    });
  });

  test('assertSchemaCurrent(pool) rejects a stale schema and resolves once it is current', async () => {
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      await expect(assertSchemaCurrent(pool, { migrationsDir: fixturePath('basic') })).rejects.toBeInstanceOf(SchemaNotCurrentError);
      expect((await runMigrator(['up'], { env })).code).toBe(0);
      await expect(assertSchemaCurrent(pool, { migrationsDir: fixturePath('basic') })).resolves.toMatchObject({ steps: [] });
    } finally {
      await pool.end();
    }
  });
});
