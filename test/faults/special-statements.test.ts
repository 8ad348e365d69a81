/**
 * Migrations outside a transaction (CREATE INDEX CONCURRENTLY), and databases that only read.
 */
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
    migrations.write('versioned/3_email_index.sql', `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_created_idx ON customers (created_at);\n`);

    const result = await run();

    expect(result.code).toBe(0);
    expect(await db.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'customers_created_idx'::regclass`)).toEqual([{ valid: true }]);
  });

  test('CONCURRENTLY next to another statement: exit 1 telling to split the file', async () => {
    migrations.write(
      'versioned/3_two_statements.sql',
      `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON customers (created_at);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON orders (total_cents);\n`,
    );

    const result = await run();

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({ pgCode: '25001', file: '3_two_statements.sql' });
    expect(summaryLine(result).msg).toMatch(/must be alone in its file: split it/);
    expect(await appliedVersions(db)).toHaveLength(2);
  });

  test('a failed CREATE UNIQUE INDEX CONCURRENTLY names the INVALID index it left; after clean-up the re-run succeeds', async () => {
    expect((await run()).code).toBe(0);
    await db.query(`INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com'); UPDATE customers SET display_name = 'same'`);
    migrations.write('versioned/3_unique_name.sql', `${NO_TRANSACTION}CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customers_display_name_key ON customers (display_name);\n`);

    const failed = await run();

    expect(failed.code).toBe(1);
    expect(summaryLine(failed)).toMatchObject({ pgCode: '23505', file: '3_unique_name.sql' });
    expect(summaryLine(failed).msg).toMatch(/left INVALID index\(es\) customers_display_name_key: DROP INDEX CONCURRENTLY them first/);
    expect(await appliedVersions(db)).toHaveLength(2);

    await db.query(`DROP INDEX CONCURRENTLY customers_display_name_key`);
    await db.query(`UPDATE customers SET display_name = email`);
    const rerun = await run();

    expect(rerun.code).toBe(0);
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
