import { rmSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../src/errors';
import { tableNames, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';

describe('versioned phase', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('returns a typed report of what it applied', async () => {
    const { report } = await runLibrary(db, migrations.dir);
    expect(report).toMatchObject({
      outcome: 'applied',
      versioned: { applied: ['1_orders_customer_index.sql', '2_customers_display_name.sql'], currentVersion: 2, ahead: [] },
    });
    const again = await runLibrary(db, migrations.dir);
    expect(again.report).toMatchObject({ outcome: 'up-to-date', versioned: { applied: [], currentVersion: 2 } });
  });

  test.each([
    ['a duplicate id', { 'versioned/2_other.sql': 'SELECT 1;' }, /2_customers_display_name\.sql and 2_other\.sql share id 2/],
    ['a gap in ids', { 'versioned/4_skipped.sql': 'SELECT 1;' }, /versioned migration 3 is missing \(next is 4_skipped\.sql\)/],
    [
      'id 0 next to id 1',
      { 'versioned/0_x.sql': 'SELECT 1;' },
      /^versioned\/0_x\.sql: id 0 is reserved for the history table's own migration .*; number versioned migrations from 1$/,
    ],
    [
      'a file without an id',
      { 'versioned/add_things.sql': 'SELECT 1;' },
      /versioned\/add_things\.sql: a versioned migration's name must start with its id/,
    ],
    [
      'a name used twice',
      { 'versioned/3_customers_display_name.sql': 'SELECT 1;' },
      /2_customers_display_name\.sql and 3_customers_display_name\.sql have the same name/,
    ],
    [
      'a name over 100 characters',
      { [`versioned/3_${'x'.repeat(101)}.sql`]: 'SELECT 1;' },
      /the name after the id is longer than 100 characters/,
    ],
  ])('%s is a validation error naming the files, and nothing runs', async (_case, files, message) => {
    for (const [name, content] of Object.entries(files)) migrations.write(name, content);

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.message).toMatch(message);
    // Files are checked before the database is touched at all.
    expect(await tableNames(db)).toEqual([]);
  });

  test('an applied migration whose file was removed is a validation error', async () => {
    migrations.write('versioned/3_third.sql', 'SELECT 1;');
    await runLibrary(db, migrations.dir);
    rmSync(path.join(migrations.dir, 'versioned', '2_customers_display_name.sql'));

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.message).toMatch(/versioned migration 2 is missing \(next is 3_third\.sql\)/);
  });

  test('a history row deleted by hand is reported as such, not as a hash mismatch', async () => {
    migrations.write('versioned/3_third.sql', 'SELECT 1;');
    await runLibrary(db, migrations.dir);
    await db.query(`DELETE FROM migrations WHERE id = 2`);

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.message).toMatch(/2_customers_display_name\.sql is not recorded as applied, but later migrations are/);
  });

  describe('a database ahead of these files (history rows without a file)', () => {
    beforeEach(async () => {
      migrations.write('versioned/3_newer.sql', 'CREATE TABLE newer (id int);');
      await runLibrary(db, migrations.dir);
      rmSync(path.join(migrations.dir, 'versioned', '3_newer.sql'));
    });

    test('by default warns and succeeds', async () => {
      const { report, lines } = await runLibrary(db, migrations.dir);
      expect(report?.versioned.ahead).toEqual([{ id: 3, name: 'newer' }]);
      expect(lines.find((line) => String(line.msg).includes('newer than these files'))).toMatchObject({
        level: 'warn',
        ahead: [{ id: 3, name: 'newer' }],
      });
    });

    test('with MIGRATOR_ON_AHEAD=fail it is a validation error', async () => {
      const { error } = await runLibrary(db, migrations.dir, { MIGRATOR_ON_AHEAD: 'fail' });
      expect(error).toBeInstanceOf(ValidationError);
      expect(error?.message).toMatch(/up to 3 newer/);
    });
  });

  describe('the history table', () => {
    test("TypeORM's table of the same name is named as TypeORM's and refused before it is written to", async () => {
      // As TypeORM's MigrationExecutor.ts creates its default table on PostgreSQL.
      await db.query(
        'CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))',
      );
      await db.query(`INSERT INTO migrations ("timestamp", name) VALUES (1680000000000, 'CreateUsers1680000000000')`);

      const { error } = await runLibrary(db, migrations.dir);

      expect(error).toBeInstanceOf(ValidationError);
      expect(error?.message).toMatch(
        /table "migrations" is TypeORM's migration history \(columns id, timestamp, name\), not postgres-migrations' \(id, name, hash\).*ALTER TABLE migrations RENAME TO typeorm_migrations/,
      );
      expect(await db.query('SELECT "timestamp"::text, name FROM migrations')).toEqual([
        { timestamp: '1680000000000', name: 'CreateUsers1680000000000' },
      ]);
    });

    test('an application table called migrations is refused before it is written to', async () => {
      await db.query(`CREATE TABLE migrations (id serial PRIMARY KEY, title text); INSERT INTO migrations (title) VALUES ('bird')`);

      const { error } = await runLibrary(db, migrations.dir);

      expect(error).toBeInstanceOf(ValidationError);
      expect(error?.message).toMatch(/not a postgres-migrations history table \(it lacks name, hash\)/);
      expect(await db.query('SELECT title FROM migrations')).toEqual([{ title: 'bird' }]);
    });

    test('a migrations table in a schema off the search_path is refused', async () => {
      await db.query(`CREATE SCHEMA other; CREATE TABLE other.migrations (id int)`);

      const { error } = await runLibrary(db, migrations.dir);

      expect(error).toBeInstanceOf(ValidationError);
      expect(error?.message).toMatch(/exists in schema other but not on the search_path/);
    });

    test('a view called migrations is refused', async () => {
      await db.query(`CREATE VIEW migrations AS SELECT 1 AS id`);
      const { error } = await runLibrary(db, migrations.dir);
      expect(error?.message).toMatch(/is not an ordinary table/);
    });
  });

  test('a folder without versioned/ is a run with no versioned migrations', async () => {
    const plain = tempMigrations();
    plain.write('tables/010_things.sql', 'CREATE TABLE things (id int);');
    try {
      const { report } = await runLibrary(db, plain.dir);
      expect(report?.versioned).toEqual({ applied: [], waiting: [], currentVersion: 0, ahead: [] });
      expect(await tableNames(db)).toEqual(['migrator_declared_columns', 'migrator_schema_fingerprint', 'things']);
    } finally {
      plain.remove();
    }
  });
});
