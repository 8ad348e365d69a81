/**
 * `migrator lint`: unguarded DDL in versioned migrations and what cannot run again in repeatable
 * files (our rules, on PostgreSQL's parser), and squawk's rules for dangerous operations. No
 * database needed.
 */
import { parseSync, loadModule } from 'libpg-query';
import { findNotRerunnable } from '../../src/lint/rerunnable';
import { findUnguardedDdl } from '../../src/lint/unguarded-ddl';
import { runMigrator } from '../support/cli';
import { SAMPLE_MIGRATIONS, tempMigrations, type TempMigrations } from '../support/fixtures';

describe('migrator lint', () => {
  let migrations: TempMigrations;
  beforeEach(() => {
    migrations = tempMigrations();
  });
  afterEach(() => migrations.remove());
  const lint = (args: string[] = []) => runMigrator(['lint', ...args], { env: { MIGRATIONS_DIR: migrations.dir } });

  test("the sample's release 3 and its repeatable files pass; release 2's migration 3, from before post-deploy migrations, drops what release 1 read", async () => {
    const release3 = await runMigrator(['lint', '--since', '3'], { env: { MIGRATIONS_DIR: SAMPLE_MIGRATIONS } });
    // Versioned 4 to 7, and both repeatable files: they are current whatever the release.
    expect(release3.stdout).toBe('no problems in 6 file(s)\n');
    expect(release3.code).toBe(0);

    const all = await runMigrator(['lint'], { env: { MIGRATIONS_DIR: SAMPLE_MIGRATIONS } });
    expect(all.code).toBe(6);
    expect(all.stdout).toBe(
      'versioned/3_note_status.sql:17:1  backward-compat  drops column notes.is_draft (in a DO block): the release still running during a rolling deploy may use it: mark the file post-deploy (-- migrator: post-deploy), or split it (expand/contract)\n',
    );
  });

  test.each([
    ['a dropped column', 'ALTER TABLE accounts DROP COLUMN IF EXISTS name;', 2, 'drops column accounts.name'],
    ['a dropped table', 'DROP TABLE IF EXISTS old_things;', 2, 'drops table old_things'],
    ['a renamed column', 'ALTER TABLE accounts RENAME COLUMN name TO display_name;', 2, 'renames column accounts.name to display_name'],
    ['a renamed table', 'ALTER TABLE accounts RENAME TO users;', 2, 'renames table accounts to users'],
    ['a type change', 'ALTER TABLE notes ALTER COLUMN created_at TYPE timestamptz;', 2, 'changes the type of notes.created_at'],
    ['NOT NULL without a default', 'ALTER TABLE notes ALTER COLUMN body SET NOT NULL;', 2, 'makes notes.body NOT NULL without a default'],
    [
      'a new NOT NULL column without a default',
      'ALTER TABLE notes ADD COLUMN IF NOT EXISTS tag text NOT NULL;',
      2,
      'adds notes.tag NOT NULL without a default',
    ],
    ['a dropped default', 'ALTER TABLE notes ALTER COLUMN status DROP DEFAULT;', 2, 'drops the default of notes.status'],
    [
      'a drop inside a DO block',
      "DO $$\nBEGIN\n  IF to_regclass('old') IS NOT NULL THEN\n    DROP TABLE old;\n  END IF;\nEND $$;",
      5,
      'drops table old (in a DO block)',
    ],
  ])('flags %s outside a post-deploy migration, with its line, and passes it in one', async (_case, statement, line, change) => {
    migrations.write('versioned/1_change.sql', `-- A change.\n${statement}\n`);

    const flagged = await lint(['--json']);

    expect(flagged.code).toBe(6);
    expect((JSON.parse(flagged.stdout) as Array<Record<string, unknown>>).filter((finding) => finding.rule === 'backward-compat')).toEqual([
      expect.objectContaining({
        file: 'versioned/1_change.sql',
        line,
        message: expect.stringMatching(
          new RegExp(`^${change.replace(/[().]/g, '\\$&')}: .*mark the file post-deploy .*or split it \\(expand/contract\\)$`),
        ),
      }),
    ]);

    migrations.write('versioned/1_change.sql', `-- migrator: post-deploy\n-- A change.\n${statement}\n`);
    const postDeploy = await lint(['--json']);
    expect(
      (JSON.parse(postDeploy.stdout || '[]') as Array<Record<string, unknown>>).filter((finding) => finding.rule === 'backward-compat'),
    ).toEqual([]);
  });

  test('a NOT NULL that comes with a default, and a new column with one, pass', async () => {
    migrations.write(
      'versioned/1_defaults.sql',
      "ALTER TABLE notes ALTER COLUMN body SET DEFAULT '';\nALTER TABLE notes ALTER COLUMN body SET NOT NULL;\nALTER TABLE notes ADD COLUMN IF NOT EXISTS tag text NOT NULL DEFAULT 'none';\n",
    );
    const result = await lint(['--json']);
    expect(
      (JSON.parse(result.stdout || '[]') as Array<Record<string, unknown>>).filter((finding) => finding.rule === 'backward-compat'),
    ).toEqual([]);
  });

  test('flags an unguarded ALTER TABLE ... ADD COLUMN with file, line and column, and passes the guarded form', async () => {
    migrations.write('versioned/1_nickname.sql', '-- Nicknames.\nALTER TABLE accounts ADD COLUMN nickname text;\n');

    const unguarded = await lint();

    expect(unguarded.code).toBe(6);
    expect(unguarded.stdout).toBe(
      'versioned/1_nickname.sql:2:1  unguarded-ddl  ALTER TABLE accounts ADD COLUMN nickname without IF NOT EXISTS\n',
    );
    expect(unguarded.stderr).toMatch(/"msg":"lint found 1 problem\(s\) in 1 file\(s\)"/);

    migrations.write('versioned/1_nickname.sql', '-- Nicknames.\nALTER TABLE accounts ADD COLUMN IF NOT EXISTS nickname text;\n');
    const guarded = await lint();

    expect(guarded.stdout).toBe('no problems in 1 file(s)\n');
    expect(guarded.code).toBe(0);
  });

  test("squawk's findings come with rule, line and column; its timeout and robustness rules are left to the migrator", async () => {
    migrations.write('versioned/1_index.sql', 'SELECT 1;\n\nCREATE INDEX IF NOT EXISTS notes_body_idx ON notes (body);\n');

    const result = await lint(['--json']);

    expect(result.code).toBe(6);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        file: 'versioned/1_index.sql',
        line: 3,
        column: 1,
        rule: 'require-concurrent-index-creation',
        tool: 'squawk',
      }),
    ]);
  });

  test('a file that runs without a transaction is checked as such: CONCURRENTLY alone in it passes', async () => {
    migrations.write(
      'versioned/1_index.sql',
      '-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS notes_body_idx ON notes (body);\n',
    );
    const result = await lint();
    expect(result.stdout).toBe('no problems in 1 file(s)\n');
  });

  test('a repeatable file is checked for running again, not for guards; --since checks it too', async () => {
    migrations.write('versioned/1_notes.sql', 'CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body text);\n');
    migrations.write(
      'repeatable/010_note_bodies.sql',
      '-- Its columns changed: dropped first.\nDROP VIEW IF EXISTS note_bodies;\nCREATE VIEW note_bodies AS SELECT id, body FROM notes;\n',
    );
    migrations.write(
      'repeatable/020_seed.sql',
      "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';\nCREATE TRIGGER t BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION f();\nINSERT INTO notes VALUES (1, 'x');\n",
    );

    const result = await lint(['--since', '1']);

    expect(result.code).toBe(6);
    expect(result.stdout).toBe(
      'repeatable/020_seed.sql:2:1  not-rerunnable  CREATE TRIGGER t on notes without a DROP TRIGGER IF EXISTS before it (or OR REPLACE, PostgreSQL 14 and later)\n' +
        'repeatable/020_seed.sql:3:1  not-rerunnable  INSERT into notes writes data, again whenever a repeatable file changes: put it in a versioned migration\n',
    );
    expect(result.stderr).toMatch(/"msg":"lint found 2 problem\(s\) in 2 file\(s\)"/);

    migrations.write(
      'repeatable/020_seed.sql',
      "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP TRIGGER IF EXISTS t ON notes;\nCREATE TRIGGER t BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION f();\n",
    );
    const fixed = await lint();
    expect(fixed.stdout).toBe('no problems in 3 file(s)\n');
    expect(fixed.code).toBe(0);

    // Given by name, a file in a repeatable/ folder gets the same rule.
    migrations.write('repeatable/030_table.sql', 'CREATE TABLE IF NOT EXISTS t (id bigint);\n');
    const given = await runMigrator(['lint', 'repeatable/030_table.sql'], { cwd: migrations.dir, env: { MIGRATIONS_DIR: migrations.dir } });
    expect(given.code).toBe(6);
    expect(given.stdout).toMatch(
      /^repeatable\/030_table\.sql:1:1 {2}not-rerunnable {2}CREATE TABLE t is history, not a definition: .*put it in tables\/ or a versioned migration\n$/,
    );
  });

  test('only the files given are checked, and a syntax error is reported once, by line', async () => {
    migrations.write('versioned/1_old.sql', 'ALTER TABLE accounts ADD COLUMN legacy text;\n');
    migrations.write('new.sql', 'SELECT 1;\nALTER TABLE accounts ADD COLUMN;\n');

    const result = await runMigrator(['lint', 'new.sql'], { cwd: migrations.dir, env: { MIGRATIONS_DIR: migrations.dir } });

    expect(result.code).toBe(6);
    expect(result.stdout).toBe('new.sql:2:32  syntax-error  syntax error at or near ";"\n');
  });
});

describe('unguarded DDL', () => {
  beforeAll(() => loadModule());
  const check = (sql: string) => findUnguardedDdl(parseSync(sql)).map((finding) => finding.message);

  test.each([
    ['CREATE TABLE t (id int)', 'CREATE TABLE IF NOT EXISTS t (id int)', 'CREATE TABLE t without IF NOT EXISTS'],
    ['CREATE INDEX i ON t (c)', 'CREATE INDEX IF NOT EXISTS i ON t (c)', 'CREATE INDEX i without IF NOT EXISTS'],
    ['ALTER TABLE t ADD COLUMN c int', 'ALTER TABLE t ADD COLUMN IF NOT EXISTS c int', 'ALTER TABLE t ADD COLUMN c without IF NOT EXISTS'],
    ['ALTER TABLE s.t DROP COLUMN c', 'ALTER TABLE s.t DROP COLUMN IF EXISTS c', 'ALTER TABLE s.t DROP COLUMN c without IF EXISTS'],
    ['ALTER TABLE t DROP CONSTRAINT k', 'ALTER TABLE t DROP CONSTRAINT IF EXISTS k', 'ALTER TABLE t DROP CONSTRAINT k without IF EXISTS'],
    ['DROP TABLE t', 'DROP TABLE IF EXISTS t', 'DROP TABLE t without IF EXISTS'],
    ['DROP INDEX i', 'DROP INDEX IF EXISTS i', 'DROP INDEX i without IF EXISTS'],
    ['CREATE SEQUENCE q', 'CREATE SEQUENCE IF NOT EXISTS q', 'CREATE SEQUENCE q without IF NOT EXISTS'],
    ['CREATE EXTENSION citext', 'CREATE EXTENSION IF NOT EXISTS citext', 'CREATE EXTENSION citext without IF NOT EXISTS'],
    ['CREATE VIEW v AS SELECT 1', 'CREATE OR REPLACE VIEW v AS SELECT 1', 'CREATE VIEW v without OR REPLACE'],
    ["ALTER TYPE e ADD VALUE 'x'", "ALTER TYPE e ADD VALUE IF NOT EXISTS 'x'", "ALTER TYPE e ADD VALUE 'x' without IF NOT EXISTS"],
  ])('%s is flagged, its guarded form is not', (unguarded, guarded, message) => {
    expect(check(unguarded)).toEqual([message]);
    expect(check(guarded)).toEqual([]);
  });

  test.each([
    ['ALTER TABLE t RENAME COLUMN a TO b', /^RENAME of t\.a to b outside a DO block/],
    ["CREATE TYPE e AS ENUM ('a')", /^CREATE TYPE e: PostgreSQL has no IF NOT EXISTS for it/],
    ['ALTER TABLE t ADD CONSTRAINT k CHECK (c > 0)', /^ALTER TABLE t ADD CONSTRAINT k: PostgreSQL has no IF NOT EXISTS for it/],
  ])('%s has no guarded form: flagged outside a DO block', (sql, message) => {
    expect(check(sql)).toEqual([expect.stringMatching(message)]);
    expect(check(`DO $$ BEGIN IF true THEN ${sql}; END IF; END $$`)).toEqual([]);
  });

  test('one finding per unguarded change, in statement order; data changes are not DDL', () => {
    expect(
      check('UPDATE t SET c = 1; ALTER TABLE t ADD COLUMN a int, ADD COLUMN IF NOT EXISTS b int, DROP COLUMN c; INSERT INTO t VALUES (1)'),
    ).toEqual(['ALTER TABLE t ADD COLUMN a without IF NOT EXISTS', 'ALTER TABLE t DROP COLUMN c without IF EXISTS']);
  });
});

describe('statements a repeatable file cannot run again', () => {
  beforeAll(() => loadModule());
  const check = (sql: string) => findNotRerunnable(parseSync(sql)).map((finding) => finding.message);

  test.each([
    ['CREATE VIEW v AS SELECT 1', 'CREATE OR REPLACE VIEW v AS SELECT 1', /^CREATE VIEW v without OR REPLACE/],
    ['CREATE VIEW s.v AS SELECT 1', 'DROP VIEW IF EXISTS s.v; CREATE VIEW s.v AS SELECT 1', /^CREATE VIEW s\.v without OR REPLACE/],
    [
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
      "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
      /^CREATE FUNCTION f without OR REPLACE/,
    ],
    [
      "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS 'SELECT 1'",
      "DROP FUNCTION IF EXISTS f(); CREATE FUNCTION f() RETURNS text LANGUAGE sql AS 'SELECT 1'",
      /^CREATE FUNCTION f without OR REPLACE/,
    ],
    [
      "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
      "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
      /^CREATE PROCEDURE p without/,
    ],
    [
      'CREATE TRIGGER t BEFORE UPDATE ON s.n FOR EACH ROW EXECUTE FUNCTION f()',
      'DROP TRIGGER IF EXISTS t ON s.n; CREATE TRIGGER t BEFORE UPDATE ON s.n FOR EACH ROW EXECUTE FUNCTION f()',
      /^CREATE TRIGGER t on s\.n without a DROP TRIGGER IF EXISTS/,
    ],
    [
      'CREATE TRIGGER t BEFORE UPDATE ON n FOR EACH ROW EXECUTE FUNCTION f()',
      'CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON n FOR EACH ROW EXECUTE FUNCTION f()',
      /^CREATE TRIGGER t on n without/,
    ],
    [
      'ALTER TABLE n ENABLE ROW LEVEL SECURITY; CREATE POLICY own ON n USING (true)',
      'ALTER TABLE n ENABLE ROW LEVEL SECURITY; DROP POLICY IF EXISTS own ON n; CREATE POLICY own ON n USING (true)',
      /^CREATE POLICY own on n without a DROP POLICY IF EXISTS/,
    ],
    [
      'CREATE MATERIALIZED VIEW m AS SELECT 1',
      'DROP MATERIALIZED VIEW IF EXISTS m; CREATE MATERIALIZED VIEW m AS SELECT 1',
      /^CREATE MATERIALIZED VIEW m without a DROP MATERIALIZED VIEW IF EXISTS/,
    ],
    ['DROP VIEW v', 'DROP VIEW IF EXISTS v', /^DROP VIEW v?\s*without IF EXISTS/],
  ])('%s is flagged, its rerunnable form is not', (flagged, rerunnable, message) => {
    expect(check(flagged)).toEqual([expect.stringMatching(message)]);
    expect(check(rerunnable)).toEqual([]);
  });

  test('a DROP ... IF EXISTS of another object does not count; GRANT and COMMENT pass', () => {
    expect(check('DROP VIEW IF EXISTS other; CREATE VIEW v AS SELECT 1')).toEqual([expect.stringMatching(/^CREATE VIEW v without/)]);
    expect(check('DROP TRIGGER IF EXISTS t ON other; CREATE TRIGGER t BEFORE UPDATE ON n FOR EACH ROW EXECUTE FUNCTION f()')).toHaveLength(
      1,
    );
    expect(check("GRANT SELECT ON v TO app; COMMENT ON VIEW v IS 'x'")).toEqual([]);
  });

  test.each([
    ['CREATE TABLE IF NOT EXISTS t (id int)', /^CREATE TABLE t is history/],
    ['ALTER TABLE t ADD COLUMN IF NOT EXISTS c int', /^ALTER TABLE t is history/],
    ['CREATE INDEX IF NOT EXISTS i ON t (c)', /^CREATE INDEX i is history/],
    ["CREATE TYPE e AS ENUM ('a')", /^a type is history/],
    ['INSERT INTO t VALUES (1)', /^INSERT into t writes data/],
    ['UPDATE t SET c = 1', /^UPDATE of t writes data/],
    ['DELETE FROM t', /^DELETE from t writes data/],
  ])('%s does not belong in a repeatable file', (sql, message) => {
    expect(check(sql)).toEqual([expect.stringMatching(message)]);
  });
});
