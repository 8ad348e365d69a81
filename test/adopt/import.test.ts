/** `migrator import --from`: another tool's folder converted into versioned/ and versioned/down/. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { fixturePath, tempMigrations, type TempMigrations } from '../support/fixtures';

const ADOPT = fixturePath('adopt');

describe('import', () => {
  let migrations: TempMigrations;
  beforeEach(() => (migrations = tempMigrations()));
  afterEach(() => migrations.remove());

  const importFrom = (tool: string, folder: string) =>
    runMigrator(['import', '--from', tool, folder], { env: { MIGRATIONS_DIR: migrations.dir } });
  const read = (relative: string) => readFileSync(path.join(migrations.dir, relative), 'utf8');
  const listing = (relative: string) =>
    readdirSync(path.join(migrations.dir, relative))
      .filter((name) => name.endsWith('.sql'))
      .sort();

  test('golang-migrate: ups and downs renumbered 1..N in version order, the mapping printed and kept in each header', async () => {
    const result = await importFrom('golang-migrate', path.join(ADOPT, 'golang-migrate'));

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'versioned/1_create_users.sql + versioned/down/1_create_users.sql  <-  20230101120000_create_users.up.sql, 20230101120000_create_users.down.sql\n' +
        'versioned/2_create_posts.sql + versioned/down/2_create_posts.sql  <-  20230215093000_create_posts.up.sql, 20230215093000_create_posts.down.sql\n' +
        'versioned/3_add_posts_published_at.sql + versioned/down/3_add_posts_published_at.sql  <-  ' +
        '20230301080000_add_posts_published_at.up.sql, 20230301080000_add_posts_published_at.down.sql\n',
    );
    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', imported: 3 });
    expect(listing('versioned')).toEqual(['1_create_users.sql', '2_create_posts.sql', '3_add_posts_published_at.sql']);
    expect(listing('versioned/down')).toEqual(listing('versioned'));
    const origin =
      '-- migrator: from golang-migrate 20230101120000 (20230101120000_create_users.up.sql, 20230101120000_create_users.down.sql)\n\n';
    expect(read('versioned/1_create_users.sql')).toBe(
      origin + readFileSync(path.join(ADOPT, 'golang-migrate', '20230101120000_create_users.up.sql'), 'utf8'),
    );
    expect(read('versioned/down/1_create_users.sql')).toBe(`${origin}DROP TABLE users;\n`);
  });

  test('dbmate: each file split into its up and down sections; transaction:false becomes the no-transaction line', async () => {
    const result = await importFrom('dbmate', path.join(ADOPT, 'dbmate'));

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'versioned/3_index_posts_user.sql + versioned/down/3_index_posts_user.sql  <-  20230301080000_index_posts_user.sql\n',
    );
    expect(read('versioned/1_create_users.sql')).toBe(
      '-- migrator: from dbmate 20230101120000 (20230101120000_create_users.sql)\n\nCREATE TABLE users (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL UNIQUE\n);\n\n',
    );
    expect(read('versioned/down/1_create_users.sql')).toBe(
      '-- migrator: from dbmate 20230101120000 (20230101120000_create_users.sql)\n\nDROP TABLE users;\n',
    );
    expect(read('versioned/3_index_posts_user.sql')).toMatch(
      /^-- migrator: from dbmate 20230301080000 \(20230301080000_index_posts_user\.sql\)\n-- postgres-migrations disable-transaction\n\nCREATE INDEX CONCURRENTLY/,
    );
    expect(read('versioned/2_create_posts.sql')).not.toContain('migrate:');
  });

  test('flyway: V files in version order (2 before 2.1), U files as their down files', async () => {
    const result = await importFrom('flyway', path.join(ADOPT, 'flyway'));

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'versioned/1_create_users.sql + versioned/down/1_create_users.sql  <-  V1__create_users.sql, U1__create_users.sql\n' +
        'versioned/2_create_posts.sql  <-  V2__create_posts.sql\n' +
        'versioned/3_add_posts_published_at.sql  <-  V2_1__add_posts_published_at.sql\n',
    );
    expect(read('versioned/3_add_posts_published_at.sql')).toMatch(
      /^-- migrator: from flyway 2\.1 \(V2_1__add_posts_published_at\.sql\)\n/,
    );
    expect(listing('versioned/down')).toEqual(['1_create_users.sql']);
  });

  test('a byte order mark is left out, and odd characters of a title become _', async () => {
    const source = tempMigrations();
    try {
      source.write('1_add users (v2).up.sql', '\uFEFFSELECT 1;');
      expect((await importFrom('golang-migrate', source.dir)).code).toBe(0);
      expect(listing('versioned')).toEqual(['1_add_users_v2_.sql']);
      expect(read('versioned/1_add_users_v2_.sql')).toBe('-- migrator: from golang-migrate 1 (1_add users (v2).up.sql)\n\nSELECT 1;');
    } finally {
      source.remove();
    }
  });

  test.each([
    [
      'import without --from',
      ['import', 'db/migrations'],
      /import needs --from golang-migrate, dbmate, flyway, prisma, drizzle or node-pg-migrate/,
    ],
    [
      'import from an unknown tool',
      ['import', '--from', 'liquibase', 'db'],
      /--from must be one of golang-migrate, dbmate, flyway, [^(]*prisma[^(]* \(got "liquibase"\)/,
    ],
    [
      'import from a folder that is not there',
      ['import', '--from', 'dbmate', 'no/such/folder'],
      /cannot read the folder to import, no\/such\/folder/,
    ],
    ['baseline with an id and --from', ['baseline', '3', '--from', 'dbmate'], /give an <id> or --from <tool> \(not both\)/],
    [
      'baseline from an unknown tool',
      ['baseline', '--from', 'sqitch'],
      /--from must be one of golang-migrate, dbmate, flyway, alembic, [^(]*prisma[^(]* \(got "sqitch"\)/,
    ],
  ])('%s: exit 2', async (_case, args, message) => {
    const result = await runMigrator(args, { env: { MIGRATIONS_DIR: migrations.dir } });
    expect(result.code).toBe(2);
    expect(summaryLine(result).msg).toMatch(message);
  });

  test("flyway: R__ files become repeatable/ files, numbered in tens in Flyway's order (descriptions, _ read as a space)", async () => {
    const source = tempMigrations();
    try {
      source.write('V1__notes.sql', 'CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body text);\n');
      source.write('R__views_b.sql', 'CREATE OR REPLACE VIEW b AS SELECT 2;\n');
      source.write('R__views.sql', 'CREATE OR REPLACE VIEW a AS SELECT 1;\n');
      // "views b" sorts before "viewsB" (a space before a letter), though "views_b" sorts after "viewsB".
      source.write('R__viewsB.sql', 'CREATE OR REPLACE VIEW c AS SELECT 3;\n');

      const result = await importFrom('flyway', source.dir);

      expect(result.code).toBe(0);
      expect(result.stdout).toBe(
        'versioned/1_notes.sql  <-  V1__notes.sql\n' +
          'repeatable/010_views.sql  <-  R__views.sql\n' +
          'repeatable/020_views_b.sql  <-  R__views_b.sql\n' +
          'repeatable/030_viewsB.sql  <-  R__viewsB.sql\n',
      );
      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', imported: 4 });
      expect(read('repeatable/020_views_b.sql')).toBe(
        "-- Imported from flyway's R__views_b.sql.\n\nCREATE OR REPLACE VIEW b AS SELECT 2;\n",
      );
      // They are repeatable files as the migrator reads them, and pass lint's rule for them.
      const linted = await runMigrator(['lint'], { env: { MIGRATIONS_DIR: migrations.dir } });
      expect(linted.stdout).toBe('no problems in 4 file(s)\n');
    } finally {
      source.remove();
    }
  });

  test('flyway: R__ files are not written into a repeatable/ that holds files, and nothing is written (exit 2)', async () => {
    const source = tempMigrations();
    try {
      source.write('V1__notes.sql', 'SELECT 1;\n');
      source.write('R__views.sql', 'CREATE OR REPLACE VIEW a AS SELECT 1;\n');
      migrations.write('repeatable/010_own.sql', 'CREATE OR REPLACE VIEW own AS SELECT 1;\n');

      const result = await importFrom('flyway', source.dir);

      expect(result.code).toBe(2);
      expect(summaryLine(result).msg).toMatch(/repeatable\/ already holds 1 file\(s\) \(010_own\.sql\)/);
      expect(existsSync(path.join(migrations.dir, 'versioned'))).toBe(false);
      expect(listing('repeatable')).toEqual(['010_own.sql']);
    } finally {
      source.remove();
    }
  });

  test('a title used twice gets its version appended: the history keeps names unique', async () => {
    const source = tempMigrations();
    try {
      source.write('1_add_index.up.sql', 'SELECT 1;');
      source.write('2_add_index.up.sql', 'SELECT 2;');
      expect((await importFrom('golang-migrate', source.dir)).code).toBe(0);
      expect(listing('versioned')).toEqual(['1_add_index_1.sql', '2_add_index_2.sql']);
    } finally {
      source.remove();
    }
  });

  test('refuses a versioned/ that already holds files, writing nothing (exit 2)', async () => {
    migrations.write('versioned/1_own.sql', 'SELECT 1;');

    const result = await importFrom('golang-migrate', path.join(ADOPT, 'golang-migrate'));

    expect(result.code).toBe(2);
    expect(summaryLine(result).msg).toMatch(
      /versioned\/ already holds 1 file\(s\) \(1_own\.sql\): import writes ids 1\.\.N into an empty versioned\/\. Import into a new migrations folder/,
    );
    expect(listing('versioned')).toEqual(['1_own.sql']);
    expect(existsSync(path.join(migrations.dir, 'versioned', 'down'))).toBe(false);
  });

  test.each([
    [
      'a dbmate file without -- migrate:up',
      'dbmate',
      { '20230101120000_a.sql': 'SELECT 1;' },
      6,
      /20230101120000_a\.sql has no -- migrate:up line, which dbmate requires/,
    ],
    [
      "a file that is not the tool's",
      'golang-migrate',
      { '1_a.up.sql': 'SELECT 1;', 'seed.sql': 'SELECT 1;' },
      6,
      /seed\.sql is not a golang-migrate migration file name/,
    ],
    [
      'a down file without its up file',
      'golang-migrate',
      { '1_a.down.sql': 'SELECT 1;' },
      6,
      /1_a\.down\.sql has no \.up\.sql file of version 1/,
    ],
    [
      'two files of one version',
      'dbmate',
      { '1_a.sql': '-- migrate:up\nSELECT 1;', '1_b.sql': '-- migrate:up\nSELECT 1;' },
      6,
      /1_a\.sql and 1_b\.sql have the same dbmate version 1/,
    ],
    ['a folder without migrations', 'flyway', {}, 2, /holds no flyway migration/],
    [
      'alembic, whose revisions are Python',
      'alembic',
      {},
      2,
      /--from must be one of golang-migrate, dbmate, flyway, [^(]*prisma[^(]* \(got "alembic"\) \(Alembic revisions are Python/,
    ],
  ])('refuses %s, writing nothing', async (_case, tool, files, code, message) => {
    const source = tempMigrations();
    try {
      for (const [name, text] of Object.entries(files)) source.write(name, text);
      const result = await importFrom(tool, source.dir);
      expect(result.code).toBe(code);
      expect(summaryLine(result).msg).toMatch(message);
      expect(existsSync(path.join(migrations.dir, 'versioned'))).toBe(false);
    } finally {
      source.remove();
    }
  });
});
