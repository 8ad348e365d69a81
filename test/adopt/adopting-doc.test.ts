/**
 * docs/adopting.md, end to end: for each tool, a database migrated by that tool's files with its
 * history table as the tool writes it, then the commands of the page's block for that tool, run
 * as written. So the page cannot drift from what works.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { fixturePath, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { alembicUpgrade, dbmateUp, flywayMigrate, golangMigrateUp } from '../support/other-tools';
import { drizzleJournal, drizzleMigrate } from '../support/drizzle';
import { nodePgMigrateFiles, nodePgMigrateUp } from '../support/node-pg-migrate';
import { prismaFolders, prismaMigrateDeploy } from '../support/prisma';
import { APP, KNEX, KYSELY, TYPEORM, type CodeTool } from '../support/code-tools';

const ADOPT = fixturePath('adopt');
const PAGE = readFileSync(path.join(__dirname, '..', '..', 'docs', 'adopting.md'), 'utf8');

/** The text of the page's section "## From <title>". */
function section(title: string): string {
  const start = PAGE.indexOf(`## From ${title}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = PAGE.indexOf('\n## ', start + 1);
  return PAGE.slice(start, end === -1 ? PAGE.length : end);
}

/** The commands of a section's sh block, as argument lists (the page quotes nothing). */
function commandsOf(text: string): string[][] {
  const block = /```sh\n([\s\S]*?)```/.exec(text);
  expect(block).not.toBeNull();
  return block![1]
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [program, ...args] = line.trim().split(/\s+/);
      expect(program).toBe('migrator');
      return args;
    });
}

/** How each tool leaves a database it migrated, from the folder the page names. */
const MIGRATED_BY: Record<string, (db: TestDatabase, folder: string) => Promise<void>> = {
  'golang-migrate': (db, folder) => golangMigrateUp(db, folder),
  dbmate: (db, folder) => dbmateUp(db, folder),
  Flyway: (db, folder) => flywayMigrate(db, folder),
};

/** The tools whose migrations are code: their history made under the names the page's mapping gives. */
const CODE_TOOLS: Record<string, CodeTool> = { Knex: KNEX, TypeORM: TYPEORM, Kysely: KYSELY };

describe('docs/adopting.md', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  let cwd: string;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));
  beforeEach(() => (cwd = mkdtempSync(path.join(os.tmpdir(), 'migrator-adopt-'))));
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  /** Runs the commands, each must exit 0; then a new migration applies and nothing else does. */
  async function followThePage(commands: string[][], migrationCount: number): Promise<void> {
    // Data the tool's migrations never wrote: kept, so nothing was dropped and made again.
    await db.query("INSERT INTO users (email) VALUES ('kept@example.com')");
    for (const args of commands) {
      const result = await runMigrator(args, { env, cwd });
      expect({ args, code: result.code, stderr: result.code === 0 ? '' : result.stderr + result.stdout }).toEqual({
        args,
        code: 0,
        stderr: '',
      });
      if (args[0] === 'baseline') expect(summaryLine(result)).toMatchObject({ recorded: migrationCount });
      if (args[0] === 'up') expect(summaryLine(result)).toMatchObject({ versioned: 0, currentVersion: migrationCount });
    }
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([...Array(migrationCount).keys()].map((index) => index + 1));

    const created = await runMigrator(['new', 'add_users_name'], { env, cwd });
    expect(created.code).toBe(0);
    const file = String(summaryLine(created).file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}ALTER TABLE users ADD COLUMN IF NOT EXISTS name text;\n`);
    const up = await runMigrator(['up'], { env, cwd });
    expect(up.code).toBe(0);
    expect(summaryLine(up)).toMatchObject({ versioned: 1, currentVersion: migrationCount + 1 });
    expect(await db.query('SELECT email, name FROM users')).toEqual([{ email: 'kept@example.com', name: null }]);
  }

  test.each(Object.keys(MIGRATED_BY))('from %s: import, baseline --from, up', async (title) => {
    const commands = commandsOf(section(title));
    const tool = title.toLowerCase();
    expect(commands[0].slice(0, 3)).toEqual(['import', '--from', tool]);
    const folder = path.join(cwd, commands[0][3]);
    cpSync(path.join(ADOPT, tool), folder, { recursive: true });
    await MIGRATED_BY[title](db, folder);

    await followThePage(commands, 3);
  });

  test('from Prisma: import, baseline --from, up', async () => {
    const commands = commandsOf(section('Prisma'));
    expect(commands[0].slice(0, 3)).toEqual(['import', '--from', 'prisma']);
    const folder = path.join(cwd, commands[0][3]);
    cpSync(path.join(ADOPT, 'prisma'), folder, { recursive: true });
    expect(await prismaMigrateDeploy(db, folder)).toBeUndefined();

    await followThePage(commands, prismaFolders(folder).length);
  });

  test('from Drizzle: import, baseline --from, up', async () => {
    const commands = commandsOf(section('Drizzle'));
    expect(commands[0].slice(0, 3)).toEqual(['import', '--from', 'drizzle']);
    const folder = path.join(cwd, commands[0][3]);
    cpSync(path.join(ADOPT, 'drizzle'), folder, { recursive: true });
    await drizzleMigrate(db, folder);

    await followThePage(commands, drizzleJournal(folder).length);
  });

  test('from node-pg-migrate: its JavaScript migration replaced by its SQL as the page says, import, baseline --from, up', async () => {
    const commands = commandsOf(section('node-pg-migrate'));
    expect(commands[0].slice(0, 3)).toEqual(['import', '--from', 'node-pg-migrate']);
    const folder = path.join(cwd, commands[0][3]);
    cpSync(path.join(ADOPT, 'node-pg-migrate'), folder, { recursive: true });
    await nodePgMigrateUp(db, folder);
    const js = nodePgMigrateFiles(folder).find((name) => name.endsWith('.js'))!;
    renameSync(path.join(folder, js), path.join(cwd, js));
    writeFileSync(
      path.join(folder, js.replace(/\.js$/, '.sql')),
      "-- Up Migration\nINSERT INTO roles (name, description) VALUES ('member', 'Writes posts'), ('admin', 'Runs the site');\n\n-- Down Migration\nDELETE FROM roles;\n",
    );

    await followThePage(commands, nodePgMigrateFiles(folder).length);
  });

  test('from Alembic: files written as the page shows, baseline --from, up', async () => {
    const text = section('Alembic');
    const example = /```sql\n(-- migrator: from alembic .*)\n/.exec(text);
    expect(example?.[1]).toBe(readFileSync(path.join(ADOPT, 'alembic', 'versioned', '1_create_users.sql'), 'utf8').split('\n')[0]);
    cpSync(path.join(ADOPT, 'alembic', 'versioned'), path.join(migrations.dir, 'versioned'), { recursive: true });
    await alembicUpgrade(db, path.join(ADOPT, 'alembic', 'upgrade.sql'));

    await followThePage(commandsOf(text), 2);
  });

  test.each(Object.keys(CODE_TOOLS))(
    'from %s: versioned files written, the mapping file of the page, baseline --from, up',
    async (title) => {
      const text = section(title);
      const mapping = /```text\n([\s\S]*?)```/.exec(text)![1];
      const lines = mapping
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.startsWith('#'))
        .map((line) => line.trim().split(/\s+/));
      const tool: CodeTool = { ...CODE_TOOLS[title], nameOf: (at) => lines[at][0] };
      await tool.create(db);
      await tool.apply(
        db,
        lines.map((_, at) => at),
      );
      // TypeORM's: the rename the page gives.
      const sql = /```sql\n([\s\S]*?)```/.exec(text);
      if (sql) await db.query(sql[1]);
      for (const [at, [, file]] of lines.entries()) migrations.write(`versioned/${file}`, `${APP[at].up};\n`);
      const commands = commandsOf(text);
      expect(commands[0].slice(0, 4)).toEqual(['baseline', '--from', tool.name, '--mapping']);
      writeFileSync(path.join(cwd, commands[0][4]), mapping);

      await followThePage(commands, lines.length);
    },
  );
});
