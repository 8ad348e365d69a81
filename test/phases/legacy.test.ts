import { MigrationFailedError } from '../../src/errors';
import { tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';

describe('legacy phase', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));

  test('repairs a database left by an old release before tables are created', async () => {
    // An old release created "customer" (singular) with data.
    await db.query(`CREATE TABLE customer (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL DEFAULT now()); INSERT INTO customer (email) VALUES ('old@example.com')`);

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.legacy).toEqual({ changed: ['001_rename_old_customer_table.sql'], columnsAdded: [] });
    // Planned after the repair's dry run, the renamed table counts as existing: it is not created again, and its rows are kept.
    expect(report?.tables).toEqual({ created: ['orders'] });
    expect(await db.query('SELECT email FROM customers')).toEqual([{ email: 'old@example.com' }]);
    expect(await tableNames(db)).not.toContain('customer');
  });

  test('runs every time, but applies and reports a script only when it would write something', async () => {
    const first = await runLibrary(db, migrations.dir);
    const second = await runLibrary(db, migrations.dir);

    expect(first.report?.legacy).toEqual({ changed: [], columnsAdded: [] });
    expect(second.report?.legacy.changed).toEqual([]);
    expect(second.lines.filter((line) => line.msg === 'legacy script found nothing to do')).toHaveLength(1);
  });

  test('plans scripts in file-name order, each seeing what the ones before it would do', async () => {
    // 003 fails on its own: its table exists only once 002 has run.
    migrations.write('legacy/002_log_table.sql', 'CREATE TABLE IF NOT EXISTS legacy_log (step text);');
    migrations.write('legacy/003_first_step.sql', "INSERT INTO legacy_log VALUES ('003');");

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.legacy.changed).toEqual(['002_log_table.sql', '003_first_step.sql']);
    expect(await db.query('SELECT step FROM legacy_log')).toEqual([{ step: '003' }]);
  });

  test('a script that fails stops the run while planning, before any script is applied', async () => {
    migrations.write('legacy/002_log_table.sql', 'CREATE TABLE IF NOT EXISTS legacy_log (step text);');
    migrations.write('legacy/003_first_step.sql', "INSERT INTO legacy_log VALUES ('003');");
    migrations.write('legacy/004_broken.sql', "INSERT INTO legacy_log VALUES ('004');\nSELECT 1/0;");

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ phase: 'legacy', file: '004_broken.sql', failure: { pgCode: '22012' } });
    expect(error?.message).toMatch(/legacy\/004_broken\.sql failed: division by zero; found while planning, so nothing was changed/);
    expect(await tableNames(db)).toEqual([]);
  });

  test('a failing script is reported with the line and column in its own file', async () => {
    migrations.write('legacy/002_typo.sql', "SELECT lower(emial) FROM (VALUES ('A@example.com')) AS people (email);\n");

    const { error } = await runLibrary(db, migrations.dir);

    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ phase: 'legacy', file: '002_typo.sql', failure: { pgCode: '42703', line: 1, column: 14 } });
  });

  test('a script ending in a comment without a newline runs', async () => {
    migrations.write('legacy/002_commented.sql', 'CREATE TABLE IF NOT EXISTS legacy_note (id int); -- no newline after this');

    const { report, error } = await runLibrary(db, migrations.dir);

    expect(error).toBeUndefined();
    expect(report?.legacy.changed).toEqual(['002_commented.sql']);
  });
});
