import { MigrationFailedError } from '../../src/errors';
import { tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';

describe('table creation phase', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations } = fresh));

  test('creates missing declared tables in file order and never touches existing ones', async () => {
    migrations.write('tables/010_customers.sql', 'CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL);');
    migrations.write('tables/020_orders.sql', 'CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);');
    // customers exists with a column the declaration no longer has, and a row: it must stay as it is.
    await db.query(
      `CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, nickname text); INSERT INTO customers VALUES (7, 'a@example.com', 'ace')`,
    );

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.tables).toEqual({ created: ['orders'] });
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position`,
    );
    expect(columns.map((column) => column.column_name)).toEqual(['id', 'email', 'nickname']);
    expect(await db.query('SELECT id, nickname FROM customers')).toEqual([{ id: 7, nickname: 'ace' }]);
  });

  test('handles schema-qualified and oddly named tables', async () => {
    await db.query('CREATE SCHEMA billing');
    migrations.write('tables/010_billing.invoices.sql', 'CREATE TABLE billing.invoices (id int);');
    migrations.write('tables/020_Order Items.sql', 'CREATE TABLE "Order Items" (id int);');

    const first = await runLibrary(db, migrations.dir);
    const second = await runLibrary(db, migrations.dir);

    expect(first.report?.tables.created).toEqual(['billing.invoices', 'Order Items']);
    expect(second.report?.tables).toEqual({ created: [] });
  });

  test('a file that does not create the table it is named after fails while planning, and nothing is written', async () => {
    migrations.write('tables/010_users.sql', 'CREATE TABLE people (id int);');

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error?.message).toMatch(/tables\/010_users\.sql ran but did not create table users/);
    // Not even the legacy phase's cache of declared columns: a run that fails keeps nothing.
    expect(await tableNames(db)).toEqual([]);
  });

  test('a failing declaration names the file and line, found while planning: no table is created', async () => {
    migrations.write('tables/010_a.sql', 'CREATE TABLE a (id int);');
    migrations.write('tables/020_b.sql', 'CREATE TABLE b (\n  id int,\n  a_id int REFERENCES missing_table\n);');

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toMatchObject({ phase: 'tables', file: '020_b.sql', failure: { pgCode: '42P01' } });
    expect(error?.message).toMatch(/found while planning, so nothing was changed$/);
    expect(await tableNames(db)).toEqual([]);
  });
});
