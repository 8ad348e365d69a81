/**
 * Each step starts from the migrator's own session state, whatever the script before it set: a
 * search_path, a role, a session authorization. After every script (dry-run or applied) the
 * session is reset and the migrator's own settings given again. And the migrator's own tables are
 * named schema-qualified, so that what a reset cannot undo (a temporary table, which PostgreSQL
 * looks for before any schema of the search_path) cannot stand in for them.
 */
import { randomBytes } from 'node:crypto';
import { runMigrator, summaryLine } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

/** Where each of these relations is, and who owns it. */
const placed = (db: TestDatabase, names: string[]) =>
  db.query<{ relname: string; schema: string; owner: string }>(
    `SELECT c.relname::text, n.nspname::text AS schema, pg_get_userbyid(c.relowner)::text AS owner
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = ANY($1) AND c.relkind = 'r' ORDER BY 1, 2`,
    [names],
  );

describe('a script that changes its session', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(async () => {
    await db.query(`CREATE TABLE accounts (id int, note text); INSERT INTO accounts VALUES (1, NULL);`);
    migrations.write('tables/010_items.sql', 'CREATE TABLE items (id int);\n');
    migrations.write('versioned/1_things.sql', 'CREATE TABLE things (id int);\n');
  });

  test('SET search_path in a legacy script: every table, the history and the declared columns still go to public; a second up is up to date', async () => {
    migrations.write(
      'legacy/001_fix.sql',
      `CREATE SCHEMA IF NOT EXISTS archive;\nSET search_path TO archive;\nUPDATE public.accounts SET note = 'fixed' WHERE note IS NULL;\n`,
    );

    const first = await runMigrator(['up'], { env });

    expect(first.code).toBe(0);
    const tables = ['items', 'things', 'migrations', 'migrator_declared_columns'];
    expect((await placed(db, tables)).map(({ relname, schema }) => `${schema}.${relname}`)).toEqual(
      ['public.items', 'public.migrations', 'public.migrator_declared_columns', 'public.things'].sort(),
    );
    const second = await runMigrator(['up'], { env });
    expect(second.code).toBe(0);
    expect(summaryLine(second).outcome).toBe('up-to-date');
  });

  test.each([
    ['SET ROLE', (role: string) => `SET ROLE ${role};`],
    ['SET SESSION AUTHORIZATION', (role: string) => `SET SESSION AUTHORIZATION ${role};`],
  ])('%s in a legacy script does not carry into the next step', async (_, setRole) => {
    const role = `lowly_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ROLE ${role} NOLOGIN; GRANT ${role} TO CURRENT_USER; GRANT UPDATE, SELECT ON accounts TO ${role}`);
    try {
      migrations.write('legacy/001_as_role.sql', `${setRole(role)}\nUPDATE accounts SET note = 'fixed' WHERE note IS NULL;\n`);

      const result = await runMigrator(['up'], { env });

      expect(result.code).toBe(0);
      expect(await placed(db, ['items', 'things', 'migrations'])).toEqual([
        { relname: 'items', schema: 'public', owner: db.user },
        { relname: 'migrations', schema: 'public', owner: db.user },
        { relname: 'things', schema: 'public', owner: db.user },
      ]);
    } finally {
      await db.query(`REVOKE ALL ON accounts FROM ${role}; DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
    }
  });

  test('temporary tables named like the history and the declared-columns cache, left by a legacy script, receive none of their rows', async () => {
    migrations.write(
      'legacy/001_scratch.sql',
      `CREATE TEMPORARY TABLE migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL, hash varchar(40) NOT NULL, executed_at timestamp);\n` +
        `CREATE TEMPORARY TABLE migrator_declared_columns (tables_hash text PRIMARY KEY, columns jsonb NOT NULL, computed_at timestamptz NOT NULL DEFAULT now());\n`,
    );

    const first = await runMigrator(['up'], { env });

    expect(first.code).toBe(0);
    expect(await db.query('SELECT id FROM public.migrations ORDER BY id')).toEqual([{ id: 0 }, { id: 1 }]);
    expect(await db.query('SELECT count(*)::int AS entries FROM public.migrator_declared_columns')).toEqual([{ entries: 1 }]);
    // The script creates its temporary tables again (so it is applied again), but versioned/1 is not.
    const second = await runMigrator(['up'], { env });
    expect(second.code).toBe(0);
    expect(await db.query('SELECT id FROM public.migrations ORDER BY id')).toEqual([{ id: 0 }, { id: 1 }]);
  });
});
