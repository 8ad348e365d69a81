/**
 * `migrator up` as a process against a real PostgreSQL: the exit codes and logs users depend on.
 */
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { runMigrator, summaryLine } from '../support/cli';
import { fixturePath, tempMigrations } from '../support/fixtures';

const BASIC = fixturePath('basic');

describe('migrator up', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('brings a fresh database to the declared schema and exits 0', async () => {
    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC } });

    expect(result.code).toBe(0);
    expect(await tableNames(db)).toEqual(['customers', 'migrations', 'migrator_declared_columns', 'migrator_schema_fingerprint', 'orders']);
    expect(await appliedVersions(db)).toEqual([
      { id: 1, name: 'orders_customer_index' },
      { id: 2, name: 'customers_display_name' },
    ]);
    const applied = result.lines.filter((line) => line.msg === 'migration applied');
    expect(applied.map((line) => [line.phase, line.file, typeof line.durationMs])).toEqual([
      ['versioned', '1_orders_customer_index.sql', 'number'],
      ['versioned', '2_customers_display_name.sql', 'number'],
    ]);
    expect(summaryLine(result)).toMatchObject({ outcome: 'applied', tables: 2, versioned: 2, currentVersion: 2, exitCode: 0 });
  });

  test('the default command is up', async () => {
    const result = await runMigrator([], { env: { ...db.env, MIGRATIONS_DIR: BASIC } });
    expect(result.code).toBe(0);
    expect(await appliedVersions(db)).toHaveLength(2);
  });

  test('a second run is a no-op: exit 0 and no transaction writes anything', async () => {
    expect((await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC } })).code).toBe(0);

    // Every writing transaction consumes a transaction id; an idle server consumes none.
    const [{ before }] = await db.query<{ before: string }>('SELECT txid_current() AS before');
    const second = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC } });
    const [{ after }] = await db.query<{ after: string }>('SELECT txid_current() AS after');

    expect(second.code).toBe(0);
    expect(summaryLine(second)).toMatchObject({ outcome: 'up-to-date', legacy: 0, tables: 0, versioned: 0 });
    expect(Number(after) - Number(before)).toBe(1);
  });

  test('a failing migration k of n exits 1, keeps 1..k-1 and leaves nothing of k', async () => {
    const migrations = tempMigrations('basic');
    migrations.write('versioned/3_add_notes.sql', 'CREATE TABLE notes (id int);\n');
    migrations.write(
      'versioned/4_broken.sql',
      'CREATE TABLE broken_half (id int);\nINSERT INTO broken_half VALUES (1);\nSELECT * FROM no_such_table;\n',
    );
    migrations.write('versioned/5_after.sql', 'CREATE TABLE after_broken (id int);\n');
    try {
      const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });

      expect(result.code).toBe(1);
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2, 3]);
      const tables = await tableNames(db);
      expect(tables).toContain('notes');
      expect(tables).not.toContain('broken_half');
      expect(tables).not.toContain('after_broken');
      expect(summaryLine(result)).toMatchObject({
        outcome: 'failed',
        exitCode: 1,
        phase: 'versioned',
        file: '4_broken.sql',
        pgCode: '42P01',
        line: 3,
        column: 15,
        // What this run applied and committed before the failure: the tables and migrations 1-3.
        tables: 2,
        versioned: 3,
        currentVersion: 3,
      });
      expect(String(summaryLine(result).msg)).toContain('versioned/4_broken.sql:3:15');
    } finally {
      migrations.remove();
    }
  });

  test('an applied migration edited afterwards exits 6 naming the file, and nothing runs', async () => {
    const migrations = tempMigrations('basic');
    try {
      expect((await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } })).code).toBe(0);
      migrations.write('versioned/2_customers_display_name.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS nickname text;\n');
      migrations.write('versioned/3_more.sql', 'CREATE TABLE more_things (id int);\n');

      const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });

      expect(result.code).toBe(6);
      expect(summaryLine(result).msg).toMatch(/versioned\/2_customers_display_name\.sql changed after it was applied/);
      expect(await tableNames(db)).not.toContain('more_things');
    } finally {
      migrations.remove();
    }
  });

  test('an unreachable database exits 4 once the wait timeout has passed', async () => {
    const result = await runMigrator(['up'], {
      env: { DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:1/postgres', MIGRATOR_WAIT_TIMEOUT: '2', MIGRATIONS_DIR: BASIC },
    });

    expect(result.code).toBe(4);
    expect(summaryLine(result).msg).toMatch(/not reachable within 2s/);
    // It kept retrying for the whole timeout before giving up (and then gave up).
    expect(result.durationMs).toBeGreaterThanOrEqual(2000);
    const retries = result.lines.filter((line) => line.msg === 'database not reachable yet, retrying');
    expect(retries.length).toBeGreaterThan(2);
  });

  test('a wrong password exits 4 at once, without retrying', async () => {
    const url = db.url.replace(encodeURIComponent(db.password), 'wrong-password');
    const result = await runMigrator(['up'], { env: { DATABASE_URL: url, MIGRATOR_WAIT_TIMEOUT: '60', MIGRATIONS_DIR: BASIC } });

    expect(result.code).toBe(4);
    expect(summaryLine(result)).toMatchObject({ pgCode: '28P01' });
    expect(result.lines.filter((line) => line.msg === 'database not reachable yet, retrying')).toHaveLength(0);
  });

  test('a database that does not exist exits 4 at once', async () => {
    const url = db.url.replace(`/${db.name}`, '/no_such_database');
    const result = await runMigrator(['up'], { env: { DATABASE_URL: url, MIGRATIONS_DIR: BASIC } });
    expect(result.code).toBe(4);
    expect(summaryLine(result)).toMatchObject({ pgCode: '3D000' });
  });

  test.each([
    ['MIGRATOR_WAIT_TIMEOUT', { MIGRATOR_WAIT_TIMEOUT: 'soon' }],
    ['MIGRATOR_LOCK_WAIT', { MIGRATOR_LOCK_WAIT: '-1' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
    ['PGPORT', { DATABASE_URL: undefined, PGHOST: 'localhost', PGPORT: '99999' }],
    ['PGSSLMODE', { PGSSLMODE: 'sometimes' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://root:pw@localhost/db' }],
    ['MIGRATIONS_DIR', { MIGRATIONS_DIR: '/no/such/folder' }],
    ['DATABASE_URL_FILE', { DATABASE_URL: undefined, DATABASE_URL_FILE: '/no/such/secret' }],
  ])('invalid %s exits 2 naming the variable, without touching the database', async (variable, overrides) => {
    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: BASIC, ...overrides } });

    expect(result.code).toBe(2);
    expect(summaryLine(result)).toMatchObject({ exitCode: 2, variable });
    expect(await tableNames(db)).toEqual([]);
  });

  test('an unknown command or flag exits 2 with plain text on stderr: what is wrong, what was meant, the usage', async () => {
    const command = await runMigrator(['stauts'], { env: db.env });
    expect(command.code).toBe(2);
    expect(command.stdout).toBe('');
    expect(command.stderr).toMatch(/^migrator: unknown command "stauts" \(did you mean "status"\?\)\n\nUsage: migrator \[command\]/);

    const flag = await runMigrator(['up', '--dryrun'], { env: db.env });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^migrator: unknown option --dryrun for up \(did you mean --dry-run\?\)\n\nUsage: migrator up /);
    expect((await runMigrator(['check', '--timeout'], { env: db.env })).stderr).toMatch(/^migrator: option --timeout needs a value\n/);
    expect((await runMigrator(['up', '--zzz'], { env: db.env })).stderr).toMatch(/^migrator: unknown option --zzz for up\n/);
    expect(await tableNames(db)).toEqual([]);
  });

  test('--help and --version exit 0', async () => {
    const help = await runMigrator(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: migrator');
    const version = await runMigrator(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('two runners started together both exit 0 and apply every migration exactly once', async () => {
    const migrations = tempMigrations('basic');
    // Each migration leaves a mark; a second application would leave a second one.
    migrations.write('tables/030_marks.sql', 'CREATE TABLE marks (migration int NOT NULL);\n');
    for (let id = 3; id <= 12; id++) {
      migrations.write(`versioned/${id}_mark_${id}.sql`, `INSERT INTO marks VALUES (${id});\nSELECT pg_sleep(0.05);\n`);
    }
    try {
      const env = { ...db.env, MIGRATIONS_DIR: migrations.dir };
      const results = await Promise.all([runMigrator(['up'], { env }), runMigrator(['up'], { env })]);

      expect(results.map((result) => result.code)).toEqual([0, 0]);
      const marks = await db.query<{ migration: number; count: string }>(
        'SELECT migration, count(*) FROM marks GROUP BY migration ORDER BY migration',
      );
      expect(marks.map((row) => [row.migration, Number(row.count)])).toEqual(Array.from({ length: 10 }, (_, index) => [index + 3, 1]));
      expect((await appliedVersions(db)).map((row) => row.id)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1));
      // One of them did the work, the other found nothing left to do.
      expect(results.map((result) => summaryLine(result).versioned).sort()).toEqual([0, 12]);
    } finally {
      migrations.remove();
    }
  });

  test('no log line contains the password, on success or on failure', async () => {
    const migrations = tempMigrations('basic');
    migrations.write('versioned/3_broken.sql', 'SELEC 1;\n');
    try {
      const env = { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'trace' };
      const failed = await runMigrator(['up'], { env });
      const wrongDb = await runMigrator(['up'], { env: { ...env, DATABASE_URL: db.url.replace(`/${db.name}`, '/nope') } });
      const badUrl = await runMigrator(['up'], { env: { ...env, DATABASE_URL: db.url.replace(`:${db.port}/`, ':not-a-port/') } });
      migrations.write('versioned/3_broken.sql', 'SELECT 1;\n');
      const succeeded = await runMigrator(['up'], { env });

      expect([failed.code, wrongDb.code, badUrl.code, succeeded.code]).toEqual([1, 4, 2, 0]);
      for (const result of [failed, wrongDb, badUrl, succeeded]) {
        expect(result.stdout + result.stderr).not.toContain(db.password);
        expect((result.stdout + result.stderr).length).toBeGreaterThan(0);
      }
    } finally {
      migrations.remove();
    }
  });
});
