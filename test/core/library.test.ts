/**
 * The library object and the CLI agree: for each scenario, `up`, `plan`, `check` and `verify`
 * through createMigrator give the outcome the CLI gives (a method resolves exactly when the CLI
 * exits 0, and otherwise rejects with the error whose exit code the CLI returns), with the same
 * results and the same database afterwards. createMigrator itself never throws.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { exitCodeFor } from '../../src/cli/exit-codes';
import { loadConfig } from '../../src/config';
import { createMigrator } from '../../src/create-migrator';
import { ConfigError } from '../../src/errors';
import { createLogger } from '../../src/log';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, createDatabase, tableNames, type TestDatabase } from '../support/database';
import { tempMigrations, type TempMigrations } from '../support/fixtures';

type Prepare = (db: TestDatabase, migrations: TempMigrations) => Promise<void>;

const upOnce = async (db: TestDatabase, migrations: TempMigrations) => {
  expect((await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } })).code).toBe(0);
};

const SCENARIOS: Array<[string, Prepare]> = [
  ['a fresh database', async () => undefined],
  ['everything applied', upOnce],
  [
    'an applied file edited',
    async (db, migrations) => {
      await upOnce(db, migrations);
      migrations.write('versioned/2_customers_display_name.sql', 'SELECT 2;\n');
    },
  ],
  ['a migration that fails', async (_db, migrations) => migrations.write('versioned/3_broken.sql', 'SELECT * FROM nowhere;\n')],
  [
    'a database ahead of the files',
    async (db, migrations) => {
      migrations.write('versioned/3_newer.sql', 'CREATE TABLE newer (id int);\n');
      await upOnce(db, migrations);
      rmSync(path.join(migrations.dir, 'versioned', '3_newer.sql'));
    },
  ],
  ['a legacy script that commits', async (_db, migrations) => migrations.write('legacy/002_commits.sql', 'SELECT 1;\nCOMMIT;\n')],
  [
    'a pre-deploy migration stuck behind a post-deploy one',
    async (db, migrations) => {
      await upOnce(db, migrations);
      migrations.write('versioned/3_drop_old.sql', '-- migrator: post-deploy\nDROP TABLE IF EXISTS old_things;\n');
      migrations.write('versioned/4_newer.sql', 'CREATE TABLE IF NOT EXISTS newer (id int);\n');
    },
  ],
  [
    'a database ahead of files that also bring a new table',
    async (db, migrations) => {
      migrations.write('versioned/3_newer.sql', 'CREATE TABLE newer (id int);\n');
      await upOnce(db, migrations);
      rmSync(path.join(migrations.dir, 'versioned', '3_newer.sql'));
      migrations.write('tables/030_invoices.sql', 'CREATE TABLE invoices (id int PRIMARY KEY);\n');
    },
  ],
];

const COMMANDS = ['up', 'plan', 'check', 'verify'] as const;

/** A plan as JSON, without when the last migration was applied (the twins applied theirs apart). */
const withoutTimes = (plan: unknown) =>
  JSON.parse(JSON.stringify(plan, (key, value: unknown) => (key === 'executedAt' ? undefined : value)));

/** Two databases and folders prepared alike: one for the CLI, one for the library. */
async function twins(prepare: Prepare) {
  const made = await Promise.all([0, 1].map(async () => ({ db: await createDatabase(), migrations: tempMigrations('basic') })));
  for (const { db, migrations } of made) await prepare(db, migrations);
  return made;
}

describe.each(SCENARIOS)('%s', (_scenario, prepare) => {
  test.each(COMMANDS)('%s: the library and the CLI agree', async (command) => {
    const [cli, library] = await twins(prepare);
    try {
      const args = command === 'plan' ? ['plan', '--json'] : [command];
      const run = await runMigrator(args, { env: { ...cli.db.env, MIGRATIONS_DIR: cli.migrations.dir } });

      const migrator = createMigrator(loadConfig({ ...library.db.env, MIGRATIONS_DIR: library.migrations.dir }), {
        logger: createLogger({ level: 'silent' }),
      });
      const outcome = await migrator[command]().then(
        (result) => ({ code: 0, result }),
        (error: unknown) => ({ code: exitCodeFor(error), result: undefined }),
      );

      expect(outcome.code).toBe(run.code);
      if (outcome.code === 0 && command === 'plan') expect(withoutTimes(outcome.result)).toEqual(withoutTimes(JSON.parse(run.stdout)));
      if (outcome.code === 0 && command === 'up')
        expect(summaryLine(run)).toMatchObject({ outcome: (outcome.result as { outcome: string }).outcome });
      if (outcome.code === 0 && command === 'verify') expect(summaryLine(run)).toMatchObject(outcome.result as object);
      expect(await tableNames(library.db)).toEqual(await tableNames(cli.db));
      expect(await appliedVersions(library.db)).toEqual(await appliedVersions(cli.db));
    } finally {
      for (const { db, migrations } of [cli, library]) {
        migrations.remove();
        await db.drop();
      }
    }
  });
});

describe('createMigrator', () => {
  test('never throws: a configuration it cannot use makes each method reject with ConfigError (exit 2)', async () => {
    const loaded = loadConfig({ DATABASE_URL: 'postgres://app@localhost/app', MIGRATIONS_DIR: 'migrations' });
    const unusable: unknown[] = [undefined, {}, { ...loaded, log: { ...loaded.log, level: 'loud' } }];
    for (const config of unusable) {
      let migrator: ReturnType<typeof createMigrator> | undefined;
      expect(() => (migrator = createMigrator(config as never))).not.toThrow();
      for (const call of [() => migrator?.status(), () => migrator?.up(), () => migrator?.newMigration('x')]) {
        const error = await Promise.resolve(call()).then(
          () => undefined,
          (rejected: unknown) => rejected,
        );
        expect(error).toBeInstanceOf(ConfigError);
        expect(exitCodeFor(error)).toBe(2);
      }
    }
  });
});
