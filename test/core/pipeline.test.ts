/**
 * The core's promises, run as users run them: everything is read and validated before anything
 * is written, an older image writes nothing (and files ahead-of-history that also bring new work are refused), read-only commands write nothing, and the summary
 * line tells what a failed run had committed.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, tableNames, type TestDatabase } from '../support/database';
import { RELEASE_2_MIGRATIONS, SAMPLE_MIGRATIONS, tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { catalogFingerprintOf } from '../support/schema';

describe('read, validate, plan, apply', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  test('an edited applied file and a new table file: exit 6, and the new table is not created', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    migrations.write(
      'versioned/2_customers_display_name.sql',
      'ALTER TABLE customers ADD COLUMN IF NOT EXISTS display_name varchar(80);\n',
    );
    migrations.write('tables/030_invoices.sql', 'CREATE TABLE invoices (id int PRIMARY KEY);\n');
    const before = await catalogFingerprintOf(db);

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
    expect(await tableNames(db)).not.toContain('invoices');
    expect(await catalogFingerprintOf(db)).toBe(before);
  });

  test('the last applied versioned file deleted while a new table file arrives: exit 6 naming both, and nothing written', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    rmSync(path.join(migrations.dir, 'versioned', '2_customers_display_name.sql'));
    migrations.write('tables/030_invoices.sql', 'CREATE TABLE invoices (id int PRIMARY KEY);\n');
    const before = await catalogFingerprintOf(db);

    for (const command of ['up', 'check', 'plan', 'status']) {
      const result = await runMigrator([command], { env });
      expect({ command, code: result.code }).toEqual({ command, code: 6 });
      expect(summaryLine(result).msg).toMatch(
        /^the database has 1 versioned migration\(s\) newer than these files \(up to 2 customers_display_name\): 2 customers_display_name; yet these files have work it lacks: tables\/030_invoices\.sql \(create table invoices\)\./,
      );
    }
    expect(await tableNames(db)).not.toContain('invoices');
    expect(await catalogFingerprintOf(db)).toBe(before);

    // Ahead with nothing missing is an older image: a warning, exit 0, nothing written.
    rmSync(path.join(migrations.dir, 'tables', '030_invoices.sql'));
    const older = await runMigrator(['up'], { env });
    expect(older.code).toBe(0);
    expect(summaryLine(older)).toMatchObject({ outcome: 'ahead', tables: 0, currentVersion: 2 });
    expect(await catalogFingerprintOf(db)).toBe(before);
  });

  test('the plan is announced before anything is applied, then every step as it starts and ends', async () => {
    const result = await runMigrator(['up'], { env });

    const messages = result.lines.map((line) => String(line.msg));
    const planned = messages.indexOf('4 step(s) pending: legacy 0, tables 2, versioned 2, repeatable 0');
    expect(planned).toBeGreaterThanOrEqual(0);
    expect(messages.slice(planned + 1, planned + 9)).toEqual([
      'applying tables/010_customers.sql (1/4): create table customers',
      'table created',
      'applying tables/020_orders.sql (2/4): create table orders',
      'table created',
      'applying versioned/1_orders_customer_index.sql (3/4): apply version 1',
      'migration applied',
      'applying versioned/2_customers_display_name.sql (4/4): apply version 2',
      'migration applied',
    ]);
  });

  test('six migrations applied, the seventh fails: the summary counts the six and names the seventh', async () => {
    for (let id = 3; id <= 6; id++) migrations.write(`versioned/${id}_step_${id}.sql`, `CREATE TABLE step_${id} (id int);\n`);
    migrations.write('versioned/7_broken.sql', 'CREATE TABLE step_7 (id int);\nSELECT * FROM nowhere;\n');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({
      outcome: 'failed',
      versioned: 6,
      currentVersion: 6,
      failedStep: 'versioned/7_broken.sql',
      file: '7_broken.sql',
    });
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await tableNames(db)).not.toContain('step_7');
  });

  test('plan and check never run a legacy script that would commit: refused, the rows unchanged', async () => {
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    await db.query(`INSERT INTO customers (email) VALUES ('Mixed@Example.com')`);
    migrations.write('legacy/002_lowercase.sql', 'UPDATE customers SET email = lower(email);\nCOMMIT;\n');

    for (const command of ['plan', 'check', 'status']) {
      const result = await runMigrator([command], { env });
      expect(result.code).toBe(6);
      expect(result.stderr + result.stdout).toMatch(/legacy\/002_lowercase\.sql:2: COMMIT would end the transaction/);
    }
    expect(await db.query('SELECT email FROM customers')).toEqual([{ email: 'Mixed@Example.com' }]);
  });
});

describe('an image older than its database', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, env } = fresh));

  /** A database at release 3 (the sample as it is), then release 2's image run against it. */
  async function atRelease3(): Promise<string> {
    expect((await runMigrator(['up', '--post-deploy'], { env: { ...env, MIGRATIONS_DIR: SAMPLE_MIGRATIONS } })).code).toBe(0);
    return catalogFingerprintOf(db);
  }
  const release2 = (args: string[], extra: Record<string, string> = {}) =>
    runMigrator(args, { env: { ...env, MIGRATIONS_DIR: RELEASE_2_MIGRATIONS, ...extra } });
  const accountColumns = async () =>
    (
      await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY 1`)
    ).map((row) => row.column_name);

  test('writes nothing: no legacy script, no declared column (accounts.name stays dropped), no table; exit 0 with a warning', async () => {
    const before = await atRelease3();

    const result = await release2(['up']);

    expect(result.code).toBe(0);
    expect(summaryLine(result)).toMatchObject({ outcome: 'ahead', legacy: 0, columns: 0, tables: 0, versioned: 0, currentVersion: 7 });
    expect(result.lines.find((line) => line.level === 'warn' && Array.isArray(line.ahead))).toMatchObject({
      ahead: [
        { id: 4, name: 'accounts_display_name' },
        { id: 5, name: 'note_status_archived' },
        { id: 6, name: 'notes_created_at_timestamptz' },
        { id: 7, name: 'drop_accounts_name' },
      ],
    });
    expect(await catalogFingerprintOf(db)).toBe(before);
    expect(await accountColumns()).not.toContain('name');
    // Its gate agrees: there is nothing this image would do.
    expect((await release2(['check'])).code).toBe(0);
  });

  test('with MIGRATOR_ON_AHEAD=fail: exit 6 naming the newest migration, and the schema unchanged', async () => {
    const before = await atRelease3();

    const result = await release2(['up'], { MIGRATOR_ON_AHEAD: 'fail' });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(/4 versioned migration\(s\) newer than these files \(up to 7 drop_accounts_name\)/);
    expect(await catalogFingerprintOf(db)).toBe(before);
    expect((await release2(['check'], { MIGRATOR_ON_AHEAD: 'fail' })).code).toBe(6);
  });
});

describe('a migrations folder that cannot be read', () => {
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ migrations, env } = fresh));

  test('a file where a phase folder should be: exit 6 with the path', async () => {
    const plain = tempMigrations();
    plain.write('legacy', 'not a folder');
    try {
      const result = await runMigrator(['up'], { env: { ...env, MIGRATIONS_DIR: plain.dir } });
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toBe(`cannot read the folder legacy/ (ENOTDIR): ${plain.dir}/legacy`);
    } finally {
      plain.remove();
    }
  });

  test('a folder without read permission: exit 6 with the path', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(migrations.dir, 0o755);
    chmodSync(`${migrations.dir}/versioned`, 0o000);
    try {
      // As root every folder is readable: run as an unprivileged user then.
      const result = await runMigrator(['up'], { env, ...(process.getuid?.() === 0 && { uid: 65534 }) });
      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toBe(`cannot read the folder versioned/ (EACCES): ${migrations.dir}/versioned`);
    } finally {
      chmodSync(`${migrations.dir}/versioned`, 0o755);
    }
  });
});
