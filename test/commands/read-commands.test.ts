import { rmSync } from 'node:fs';
import path from 'node:path';
/**
 * status, check, plan, history, verify: each one's success and refusal path, and proof that the
 * read-only ones leave the database exactly as it was.
 */
import { runMigrator, summaryLine } from '../support/cli';
import { createDatabase, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { schemaSnapshot } from '../support/schema';

describe('read commands', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(() => {
    // A legacy repair with work to do: plan and check must see it, and must not perform it.
    migrations.write(
      'legacy/002_trim_emails.sql',
      `DO $$ BEGIN IF to_regclass('customers') IS NOT NULL THEN UPDATE customers SET email = trim(email) WHERE email <> trim(email); END IF; END $$;`,
    );
  });

  /** A database halfway: customers exists (with untrimmed data), migration 1 applied, the rest pending. */
  async function halfway(): Promise<void> {
    const first = tempMigrations('basic');
    rmSync(path.join(first.dir, 'versioned', '2_customers_display_name.sql'));
    try {
      await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: first.dir } });
    } finally {
      first.remove();
    }
  }

  test('status lists what up would do per phase, as text or JSON, and changes nothing', async () => {
    await db.query(`CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO customers (email) VALUES (' spaced@example.com ')`);
    const before = await schemaSnapshot(db);

    const text = await runMigrator(['status'], { env });
    const json = await runMigrator(['status', '--json'], { env });

    expect([text.code, json.code]).toEqual([0, 0]);
    expect(text.stdout).toContain('legacy     1 repair(s) to apply: 002_trim_emails.sql');
    expect(text.stdout).toContain('tables     1 table(s) to create: 020_orders.sql');
    expect(text.stdout).toContain('versioned  2 migration(s) pending: 1_orders_customer_index.sql, 2_customers_display_name.sql');
    expect(text.stdout).toContain('current version 0');
    const parsed = JSON.parse(json.stdout);
    expect(parsed.steps.map((step: { phase: string; file: string }) => `${step.phase}/${step.file}`)).toEqual([
      'legacy/002_trim_emails.sql',
      'tables/020_orders.sql',
      'versioned/1_orders_customer_index.sql',
      'versioned/2_customers_display_name.sql',
    ]);
    expect(await schemaSnapshot(db)).toEqual(before);
    expect(await db.query('SELECT email FROM customers')).toEqual([{ email: ' spaced@example.com ' }]);
  });

  test('status after up: the schema is current, with the last applied migration', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    const result = await runMigrator(['status'], { env });
    expect(result.stdout).toContain('the schema is current');
    expect(result.stdout).toMatch(/current version 2 \(2 customers_display_name, applied \d{4}-\d\d-\d\dT/);
  });

  test('status refuses an invalid migration set with exit 6', async () => {
    migrations.write('versioned/2_twin.sql', 'SELECT 1;');
    const result = await runMigrator(['status'], { env });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('share id 2');
  });

  test('check: 3 while up has work to do, 0 once it has run, 6 on an edited migration; never changes anything', async () => {
    await halfway();
    await db.query(`INSERT INTO customers (email) VALUES (' x@example.com ')`);
    const before = await schemaSnapshot(db);

    const pending = await runMigrator(['check'], { env });

    expect(pending.code).toBe(3);
    expect(summaryLine(pending)).toMatchObject({ outcome: 'pending', exitCode: 3 });
    expect(summaryLine(pending).msg).toMatch(/2 step\(s\) pending, first legacy\/002_trim_emails\.sql/);
    expect(await schemaSnapshot(db)).toEqual(before);
    expect(await db.query('SELECT email FROM customers')).toEqual([{ email: ' x@example.com ' }]);

    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['check'], { env })).code).toBe(0);

    migrations.write('versioned/1_orders_customer_index.sql', 'CREATE INDEX IF NOT EXISTS other_idx ON orders (total_cents);');
    expect((await runMigrator(['check'], { env })).code).toBe(6);
  });

  test('plan lists every step in order, --sql adds the SQL, up --dry-run is the same, and nothing changes', async () => {
    await halfway();
    await db.query(`INSERT INTO customers (email) VALUES (' y@example.com ')`);
    const before = await schemaSnapshot(db);

    const plain = await runMigrator(['plan'], { env });
    const withSql = await runMigrator(['plan', '--sql'], { env });
    const dryRun = await runMigrator(['up', '--dry-run'], { env });

    expect(plain.stdout).toBe('1. legacy/002_trim_emails.sql: repair\n2. versioned/2_customers_display_name.sql: apply version 2\n');
    expect(withSql.stdout).toContain(
      '2. versioned/2_customers_display_name.sql: apply version 2\nALTER TABLE customers ADD COLUMN IF NOT EXISTS display_name text;',
    );
    expect(dryRun.stdout).toBe(plain.stdout);
    expect(await schemaSnapshot(db)).toEqual(before);
    expect(await db.query('SELECT email FROM customers')).toEqual([{ email: ' y@example.com ' }]);
  });

  test('plan with nothing to do says so; on a broken set it exits 6', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    expect((await runMigrator(['plan'], { env })).stdout).toBe('nothing to do: the schema is current\n');
    migrations.write('versioned/4_gap.sql', 'SELECT 1;');
    expect((await runMigrator(['plan'], { env })).code).toBe(6);
  });

  test('history lists applied migrations with id, name, hash and time; refuses a foreign migrations table', async () => {
    expect((await runMigrator(['history'], { env })).stdout).toBe('no versioned migration has been applied\n');
    expect((await runMigrator(['up'], { env })).code).toBe(0);

    const text = await runMigrator(['history'], { env });
    const json = JSON.parse((await runMigrator(['history', '--json'], { env })).stdout);

    expect(text.stdout.split('\n')[1]).toMatch(/^ {4}1 {2}orders_customer_index +[0-9a-f]{40} {2}\d{4}-/);
    expect(json.map((row: { id: number; name: string }) => [row.id, row.name])).toEqual([
      [1, 'orders_customer_index'],
      [2, 'customers_display_name'],
    ]);
    expect(json[0].hash).toMatch(/^[0-9a-f]{40}$/);

    const other = await createDatabase();
    try {
      await other.query('CREATE TABLE migrations (id int, title text)');
      expect((await runMigrator(['history'], { env: { ...other.env, MIGRATIONS_DIR: migrations.dir } })).code).toBe(6);
    } finally {
      await other.drop();
    }
  });

  test('verify: 0 when files and history agree; by id it reports a deleted history row as such', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    migrations.write('versioned/3_more.sql', 'SELECT 1;');
    const ok = await runMigrator(['verify'], { env });
    expect(ok.code).toBe(0);
    expect(summaryLine(ok)).toMatchObject({ files: 3, applied: 2, pending: 1 });

    await db.query('DELETE FROM migrations WHERE id = 1');
    const broken = await runMigrator(['verify'], { env });
    expect(broken.code).toBe(6);
    expect(summaryLine(broken).msg).toMatch(/1_orders_customer_index\.sql is not recorded as applied, but later migrations are/);
  });

  test('verify: a changed, added or removed repeatable file is no disagreement; the summary names what will rerun', async () => {
    migrations.write('repeatable/010_kept.sql', 'CREATE OR REPLACE VIEW kept AS SELECT 1 AS one;\n');
    migrations.write('repeatable/020_changed.sql', 'CREATE OR REPLACE VIEW changed AS SELECT 1 AS one;\n');
    migrations.write('repeatable/030_removed.sql', 'CREATE OR REPLACE VIEW removed AS SELECT 1 AS one;\n');
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    const agreed = await runMigrator(['verify'], { env });
    expect(summaryLine(agreed)).toMatchObject({ repeatable: { files: 3, willRerun: [], removed: [] } });

    migrations.write('repeatable/020_changed.sql', 'CREATE OR REPLACE VIEW changed AS SELECT 1 AS one, 2 AS two;\n');
    migrations.write('repeatable/040_added.sql', 'CREATE OR REPLACE VIEW added AS SELECT 1 AS one;\n');
    rmSync(path.join(migrations.dir, 'repeatable', '030_removed.sql'));
    const before = await db.query('SELECT name, checksum FROM migrator_repeatable ORDER BY name');

    const result = await runMigrator(['verify'], { env });

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({
      msg: 'files and history agree',
      repeatable: { files: 3, willRerun: ['020_changed.sql', '040_added.sql'], removed: ['030_removed.sql'] },
    });
    // verify reads: the record is as up left it.
    expect(await db.query('SELECT name, checksum FROM migrator_repeatable ORDER BY name')).toEqual(before);
  });

  test('verify: a duplicate id names both files and the renumber command; renumber fixes it', async () => {
    migrations.write('versioned/2_from_other_branch.sql', 'SELECT 1;');
    migrations.write('versioned/down/2_from_other_branch.sql', 'SELECT 1;');

    const duplicate = await runMigrator(['verify'], { env });
    expect(duplicate.code).toBe(6);
    expect(summaryLine(duplicate).msg).toMatch(
      /2_customers_display_name\.sql and 2_from_other_branch\.sql share id 2 .*migrator renumber 2_from_other_branch\.sql/,
    );

    const renumbered = await runMigrator(['renumber', '2_from_other_branch.sql'], { env });
    expect(summaryLine(renumbered)).toMatchObject({ from: '2_from_other_branch.sql', to: '3_from_other_branch.sql' });
    expect((await runMigrator(['verify'], { env })).code).toBe(0);
    expect((await runMigrator(['renumber', 'nope.sql'], { env })).code).toBe(2);
  });
});
