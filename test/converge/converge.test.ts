/**
 * `migrator converge`: the sample app's dumps of releases 1 and 2 end at the fresh install's
 * schema, and the check fails, naming the object, when a migration does not get there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SchemasDifferError } from '../../src/errors';
import { createMigrator } from '../../src/create-migrator';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { parseLines, runMigrator, type CliResult } from '../support/cli';
import type { TestDatabase } from '../support/database';
import { RELEASE_DUMPS, SAMPLE_MIGRATIONS, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

describe('migrator converge', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  // db is only the maintenance connection: the scratch databases are made next to it.
  withFreshDatabase(SAMPLE_MIGRATIONS, (fresh) => ({ db, migrations, env } = fresh));

  const scratchDatabases = (result: CliResult) =>
    parseLines(result.stderr)
      .filter((line) => line.msg === 'scratch database created')
      .map((line) => String(line.database));
  const stillThere = async (names: string[]) =>
    (await db.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names])).map((row) => row.datname);

  test('a fresh install and databases from releases 1 and 2 all end at the same schema; a second up changes nothing', async () => {
    const result = await runMigrator(['converge', RELEASE_DUMPS.v1, RELEASE_DUMPS.v2], { env });

    expect(result.stdout).toBe(
      'fresh install: a second up changed nothing\n' +
        'v1.sql: same schema as the fresh install; a second up changed nothing\n' +
        'v2.sql: same schema as the fresh install; a second up changed nothing\n',
    );
    expect(result.code).toBe(0);
    const scratch = scratchDatabases(result);
    expect(scratch).toHaveLength(3);
    expect(await stillThere(scratch)).toEqual([]);
    // The maintenance database itself is left alone.
    expect(await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)).toEqual([]);
  });

  test('a rename whose contract step is forgotten (the post-deploy drop) fails with a diff naming the column', async () => {
    migrations.write('versioned/7_drop_accounts_name.sql', '-- migrator: post-deploy\nSELECT 1;\n');

    const result = await runMigrator(['converge', RELEASE_DUMPS.v1], { env });

    expect(result.code).toBe(8);
    expect(result.stdout).toBe(
      'fresh install: a second up changed nothing\n' +
        'v1.sql: does not converge\n' +
        '  column public.accounts.name: only in the upgraded database (text NULL)\n',
    );
    expect(parseLines(result.stderr).at(-1)).toMatchObject({
      exitCode: 8,
      errorType: 'SchemasDifferError',
      msg: 'the schemas do not converge: v1.sql',
    });
    expect(await stillThere(scratchDatabases(result))).toEqual([]);
  });

  test('a type change that a migration forgets shows both types', async () => {
    migrations.write('versioned/6_notes_created_at_timestamptz.sql', '-- migrator: post-deploy\nSELECT 1;\n');

    const result = await runMigrator(['converge', RELEASE_DUMPS.v2], { env });

    expect(result.code).toBe(8);
    expect(result.stdout).toContain(
      '  column public.notes.created_at: type: fresh install timestamp with time zone, upgraded timestamp without time zone\n',
    );
  });

  test('a legacy script that writes on every run is caught by the second up', async () => {
    migrations.write(
      'legacy/002_comment_accounts.sql',
      `DO $$ BEGIN IF to_regclass('accounts') IS NOT NULL THEN COMMENT ON TABLE accounts IS 'people who sign in'; END IF; END $$;`,
    );

    const result = await runMigrator(['converge'], { env });

    expect(result.code).toBe(8);
    expect(result.stdout).toBe(
      'fresh install: does not converge\n' +
        '  second up: legacy/002_comment_accounts.sql changed something again: it must find nothing to do once applied\n',
    );
  });

  test('MIGRATOR_IGNORE_TABLES leaves tables other software manages out of the comparison (as a library call)', async () => {
    const dump = path.join(migrations.dir, 'v2-with-audit.sql');
    writeFileSync(
      dump,
      `${readFileSync(RELEASE_DUMPS.v2, 'utf8')}\nCREATE TABLE public.audit_log (id bigint PRIMARY KEY, entry jsonb);\nCREATE INDEX audit_log_entry_idx ON public.audit_log USING gin (entry);\n`,
    );
    const check = (ignore: string) =>
      createMigrator(loadConfig({ ...env, MIGRATOR_IGNORE_TABLES: ignore }), { logger: createLogger({ level: 'silent' }) }).converge([
        dump,
      ]);

    const compared = await check('').catch((error: unknown) => (error as SchemasDifferError).convergence);
    const ignored = await check('spatial_ref_sys, public.audit_log');

    expect(compared.converged).toBe(false);
    expect(compared.results[1]).toEqual({
      database: 'v2-with-audit.sql',
      differences: [
        { object: 'column public.audit_log.entry', detail: 'only in the upgraded database (jsonb NULL)' },
        { object: 'column public.audit_log.id', detail: 'only in the upgraded database (bigint NOT NULL)' },
        { object: 'constraint audit_log_pkey on public.audit_log', detail: 'only in the upgraded database (PRIMARY KEY (id))' },
        {
          object: 'index public.audit_log_entry_idx',
          detail: 'only in the upgraded database (CREATE INDEX audit_log_entry_idx ON public.audit_log USING gin (entry);)',
        },
        {
          object: 'index public.audit_log_pkey',
          detail: 'only in the upgraded database (CREATE UNIQUE INDEX audit_log_pkey ON public.audit_log USING btree (id);)',
        },
        { object: 'table public.audit_log', detail: 'only in the upgraded database (LOGGED)' },
      ],
      secondRun: [],
    });
    expect(ignored).toEqual({
      converged: true,
      results: [expect.objectContaining({ database: 'fresh install' }), { database: 'v2-with-audit.sql', differences: [], secondRun: [] }],
    });
  });

  test('a dump that does not restore: exit 2 naming it, and the scratch databases are dropped', async () => {
    const dump = path.join(migrations.dir, 'broken.sql');
    writeFileSync(dump, 'CREATE TABLE half (id int);\nSELECT * FROM no_such_table;\n');

    const result = await runMigrator(['converge', dump], { env });

    expect(result.code).toBe(2);
    expect(parseLines(result.stderr).at(-1)?.msg).toMatch(
      /^broken\.sql: the dump does not restore with psql -v ON_ERROR_STOP=1 into an empty database: .*no_such_table/,
    );
    const scratch = scratchDatabases(result);
    expect(scratch).toHaveLength(2);
    expect(await stillThere(scratch)).toEqual([]);
  });
});
