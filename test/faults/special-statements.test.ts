/**
 * Migrations outside a transaction (CREATE INDEX CONCURRENTLY), and databases that only read.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const NO_TRANSACTION = '-- postgres-migrations disable-transaction\n';

describe('statements that refuse a transaction', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));
  const run = () => runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });

  test('CREATE INDEX CONCURRENTLY alone in a file that opts out of the transaction works', async () => {
    migrations.write(
      'versioned/3_email_index.sql',
      `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_created_idx ON customers (created_at);\n`,
    );

    const result = await run();

    expect(result.code).toBe(0);
    expect(await db.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'customers_created_idx'::regclass`)).toEqual([
      { valid: true },
    ]);
  });

  test('CONCURRENTLY next to another statement: refused before anything runs (exit 6), telling to split the file', async () => {
    migrations.write(
      'versioned/3_two_statements.sql',
      `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON customers (created_at);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON orders (total_cents);\n`,
    );

    const result = await run();

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /^versioned\/3_two_statements\.sql:2: CREATE INDEX CONCURRENTLY must be alone in its file: .*split the file$/,
    );
    expect(await tableNames(db)).toEqual([]);
  });

  test('CONCURRENTLY in a file that runs in a transaction: refused (exit 6) with the marker to add', async () => {
    migrations.write('versioned/3_index.sql', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON customers (created_at);\n');
    migrations.write('legacy/002_index.sql', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON customers (email);\n');

    const result = await run();

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toBe(
      'legacy/002_index.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction: legacy scripts and table files always run in a transaction: move it to a versioned file of its own, with the line -- postgres-migrations disable-transaction',
    );
    rmSync(path.join(migrations.dir, 'legacy', '002_index.sql'));
    const versioned = await run();
    expect(versioned.code).toBe(6);
    expect(summaryLine(versioned).msg).toBe(
      'versioned/3_index.sql:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction: put it alone in a versioned file with the line -- postgres-migrations disable-transaction',
    );
    expect(await tableNames(db)).toEqual([]);
  });

  test('a multi-statement file without a transaction that fails on its second statement: the message says none of it stayed', async () => {
    migrations.write('versioned/3_two.sql', `${NO_TRANSACTION}CREATE TABLE first_half (id int);\nSELECT * FROM nowhere;\n`);

    const result = await run();

    expect(result.code).toBe(1);
    expect(summaryLine(result).msg).toMatch(
      /versioned\/3_two\.sql:3:\d+ failed: relation "nowhere" does not exist; PostgreSQL ran its 2 statements as one implicit transaction, so none of them stayed applied/,
    );
    expect(await tableNames(db)).not.toContain('first_half');
  });

  test('a file without a transaction that commits along the way: the message says up to which line it stayed', async () => {
    migrations.write(
      'versioned/3_commits.sql',
      `${NO_TRANSACTION}BEGIN;\nCREATE TABLE kept (id int);\nCOMMIT;\nCREATE TABLE lost (id int);\nSELECT * FROM nowhere;\n`,
    );

    const result = await run();

    expect(result.code).toBe(1);
    expect(summaryLine(result).msg).toMatch(/the statements up to its COMMIT on line 4 stay applied, the ones after it were rolled back/);
    const tables = await tableNames(db);
    expect(tables).toContain('kept');
    expect(tables).not.toContain('lost');
  });

  test('a failed CREATE UNIQUE INDEX CONCURRENTLY names the INVALID index it left; once the cause is fixed the next up rebuilds it', async () => {
    expect((await run()).code).toBe(0);
    await db.query(`INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com'); UPDATE customers SET display_name = 'same'`);
    migrations.write(
      'versioned/3_unique_name.sql',
      `${NO_TRANSACTION}CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customers_display_name_key ON customers (display_name);\n`,
    );

    const failed = await run();

    expect(failed.code).toBe(1);
    expect(summaryLine(failed)).toMatchObject({ pgCode: '23505', file: '3_unique_name.sql' });
    expect(summaryLine(failed).msg).toMatch(
      /nothing of it stayed applied but its INVALID index, which the next up drops and builds again; fix the cause, then run again \(INVALID now: customers_display_name_key\)$/,
    );
    expect(await appliedVersions(db)).toHaveLength(2);

    await db.query(`UPDATE customers SET display_name = email`);
    const rerun = await run();

    expect(rerun.code).toBe(0);
    expect(rerun.lines.find((line) => line.level === 'warn' && line.index === 'public.customers_display_name_key')).toMatchObject({
      msg: expect.stringMatching(/^dropping INVALID index public\.customers_display_name_key, left by an interrupted build/),
    });
    expect(await db.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'customers_display_name_key'::regclass`)).toEqual([
      { valid: true },
    ]);
    expect(await appliedVersions(db)).toHaveLength(3);
  });
});

describe('a read-only database', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('default_transaction_read_only: exit 1 with a clear message, before any phase runs', async () => {
    await db.query(`ALTER DATABASE ${db.name} SET default_transaction_read_only = on`);
    const migrations = tempMigrations('basic');
    try {
      const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });

      expect(result.code).toBe(1);
      expect(summaryLine(result)).toMatchObject({ errorType: 'DatabaseReadOnlyError' });
      expect(summaryLine(result).msg).toMatch(/the connection is read-only \(default_transaction_read_only/);
      expect(await tableNames(db)).toEqual([]);
    } finally {
      migrations.remove();
    }
  });
});
