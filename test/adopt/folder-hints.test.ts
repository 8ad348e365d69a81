/**
 * Files copied into versioned/ from another tool: validation names the tool and the `import` that
 * converts them, instead of a message about ids that sends people renumbering by hand.
 */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { fixturePath, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const ADOPT = fixturePath('adopt');

describe("folder validation of another tool's files", () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const copyIn = (tool: string) => cpSync(path.join(ADOPT, tool), path.join(migrations.dir, 'versioned'), { recursive: true });

  test.each([
    [
      'golang-migrate',
      /versioned\/ holds \{version\}_\{title\}\.up\.sql and \.down\.sql pairs, golang-migrate's layout, which this migrator does not read: move them out of versioned\/ and convert them with: migrator import --from golang-migrate <their folder>; then, on a database golang-migrate migrated, migrator baseline --from golang-migrate \(docs\/adopting\.md\)/,
    ],
    [
      'dbmate',
      /versioned\/ holds \{version\}_\{name\}\.sql files with -- migrate:up and -- migrate:down sections, dbmate's layout.*migrator import --from dbmate <their folder>/,
    ],
    ['flyway', /versioned\/ holds V\{version\}__\{description\}\.sql files, flyway's layout.*migrator import --from flyway <their folder>/],
  ])('%s: the message names the tool and the import to run (exit 6), nothing applied', async (tool, message) => {
    copyIn(tool);

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(message);
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('alembic: its Python revisions leave versioned/ without a migration; the message says how to write their SQL', async () => {
    cpSync(path.join(ADOPT, 'alembic', 'versions'), path.join(migrations.dir, 'versioned'), { recursive: true });

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /versioned\/ holds Python revision files, alembic's layout: move them out of versioned\/ and write each revision's SQL in a versioned file whose header has the line -- migrator: from alembic <revision>; then, on a database it migrated, migrator baseline --from alembic \(docs\/adopting\.md\)/,
    );
  });

  test('timestamp ids of another tool: the message says ids run 1, 2, 3 and how to convert', async () => {
    migrations.write('versioned/20230101120000_create_users.sql', 'CREATE TABLE users (id int);');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /versioned\/20230101120000_create_users\.sql has a timestamp for its id, but ids here run 1, 2, 3\.\.\. in order: files of golang-migrate, dbmate or Flyway convert with migrator import --from <tool> <their folder> \(docs\/adopting\.md\)/,
    );
  });

  test('names that pass for ours are still recognised by their text or name: a dbmate file, a lone .up.sql', async () => {
    migrations.write('versioned/1_create_users.sql', '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n');
    const dbmateFile = await runMigrator(['up'], { env });
    expect(dbmateFile.code).toBe(6);
    expect(summaryLine(dbmateFile).msg).toMatch(/dbmate's layout.*migrator import --from dbmate/);

    migrations.remove();
    migrations.write('versioned/1_create_users.up.sql', 'CREATE TABLE users (id int);');
    const upFile = await runMigrator(['up'], { env });
    expect(upFile.code).toBe(6);
    expect(summaryLine(upFile).msg).toMatch(/golang-migrate's layout.*migrator import --from golang-migrate/);
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('our own files with a wrong id keep their own message', async () => {
    migrations.write('versioned/1_a.sql', 'SELECT 1;');
    migrations.write('versioned/1_b.sql', 'SELECT 1;');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(
      /share id 1 \(two branches each added one\): give the one merged last the next free id with: migrator renumber 1_b\.sql/,
    );
  });
});
