/**
 * `migrator baseline --from`: another tool's history table, written as that tool writes it, read
 * (never changed) and recorded as this migrator's history; a failed run and every mismatch refused
 * with the database left exactly as it was.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import { fixturePath, type TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { alembicUpgrade, dbmateUp, flywayMigrate, flywayRecord, golangMigrateUp, GOLANG_MIGRATE_TABLE } from '../support/other-tools';
import { schemaSnapshot } from '../support/schema';

const ADOPT = fixturePath('adopt');

describe('baseline --from', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const importFrom = async (tool: string) =>
    expect((await runMigrator(['import', '--from', tool, path.join(ADOPT, tool)], { env })).code).toBe(0);
  const baselineFrom = (tool: string) => runMigrator(['baseline', '--from', tool], { env });
  const ids = async () => (await appliedVersions(db)).map((row) => row.id);

  /** Refused with exit 6 and this message, the database (this migrator's history included) unchanged. */
  async function expectRefused(tool: string, message: RegExp): Promise<void> {
    const before = await schemaSnapshot(db);
    const result = await baselineFrom(tool);
    expect(result.code).toBe(6);
    expect(summaryLine(result).msg).toMatch(message);
    expect(await schemaSnapshot(db)).toEqual(before);
  }

  describe('golang-migrate', () => {
    test('records every file up to the version schema_migrations holds; up applies only the rest', async () => {
      await importFrom('golang-migrate');
      await golangMigrateUp(db, path.join(ADOPT, 'golang-migrate'), { steps: 2 });

      const result = await baselineFrom('golang-migrate');

      expect(result.code).toBe(0);
      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 2 });
      expect(await ids()).toEqual([1, 2]);
      expect(await db.query('SELECT version::text, dirty FROM schema_migrations')).toEqual([{ version: '20230215093000', dirty: false }]);
      const up = await runMigrator(['up'], { env });
      expect(up.code).toBe(0);
      expect(summaryLine(up)).toMatchObject({ versioned: 1, currentVersion: 3 });
    });

    test('a second baseline finds the history complete: exit 0, nothing written', async () => {
      await importFrom('golang-migrate');
      await golangMigrateUp(db, path.join(ADOPT, 'golang-migrate'));
      expect((await baselineFrom('golang-migrate')).code).toBe(0);

      const again = await baselineFrom('golang-migrate');

      expect(again.code).toBe(0);
      expect(summaryLine(again)).toMatchObject({ outcome: 'up-to-date', recorded: 0 });
      expect(await ids()).toEqual([1, 2, 3]);
    });

    test('refuses a dirty version: the last run failed half-way', async () => {
      await importFrom('golang-migrate');
      await golangMigrateUp(db, path.join(ADOPT, 'golang-migrate'), { failAt: '20230301080000' });
      await expectRefused(
        'golang-migrate',
        /golang-migrate's run of version 20230301080000 failed half-way \(schema_migrations\.dirty is true\): repair the database by hand, then record where it stands with migrate force <version>/,
      );
    });

    test("refuses a database without its table, and dbmate's table of the same name", async () => {
      await importFrom('golang-migrate');
      await expectRefused(
        'golang-migrate',
        /there is no table schema_migrations on the search_path: this database has no golang-migrate history/,
      );
      await dbmateUp(db, path.join(ADOPT, 'dbmate'));
      await expectRefused(
        'golang-migrate',
        /schema_migrations has no dirty column, so golang-migrate did not write it \(dbmate's table has the same name: use --from dbmate\)/,
      );
    });

    test('refuses a version no file comes from, and a file before it that did not come from golang-migrate', async () => {
      await db.query(GOLANG_MIGRATE_TABLE);
      await db.query('INSERT INTO schema_migrations (version, dirty) VALUES (20230215093000, false)');
      migrations.write('versioned/1_own.sql', 'CREATE TABLE own (id int);');
      await expectRefused(
        'golang-migrate',
        /records golang-migrate version 20230215093000 as applied, but no versioned file has the header line -- migrator: from golang-migrate 20230215093000/,
      );

      migrations.write(
        'versioned/2_create_posts.sql',
        '-- migrator: from golang-migrate 20230215093000 (20230215093000_create_posts.up.sql)\nSELECT 1;',
      );
      await expectRefused(
        'golang-migrate',
        /versioned\/1_own\.sql comes before versioned\/2_create_posts\.sql, the last migration golang-migrate applied, but it was not imported from golang-migrate/,
      );
    });
  });

  describe('dbmate', () => {
    test('records the versions schema_migrations lists', async () => {
      await importFrom('dbmate');
      await dbmateUp(db, path.join(ADOPT, 'dbmate'));

      const result = await baselineFrom('dbmate');

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 3 });
      expect(await ids()).toEqual([1, 2, 3]);
    });

    test('refuses a version dbmate skipped before one it applied, and a version without a file', async () => {
      await importFrom('dbmate');
      await dbmateUp(db, path.join(ADOPT, 'dbmate'), ['20230101120000', '20230215093000']);
      await db.query("insert into public.schema_migrations (version) values ('20240101000000')");
      await expectRefused(
        'dbmate',
        /records dbmate version 20240101000000 as applied, but no versioned file has the header line -- migrator: from dbmate 20240101000000/,
      );

      await db.query("delete from public.schema_migrations where version in ('20240101000000', '20230215093000')");
      await dbmateUp(db, path.join(ADOPT, 'dbmate'), ['20230301080000']);
      await expectRefused(
        'dbmate',
        /versioned\/2_create_posts\.sql comes before versioned\/3_index_posts_user\.sql, the last migration dbmate applied, but schema_migrations does not record its version 20230215093000 as applied/,
      );
    });

    test("refuses golang-migrate's table of the same name", async () => {
      await importFrom('dbmate');
      await golangMigrateUp(db, path.join(ADOPT, 'golang-migrate'));
      await expectRefused(
        'dbmate',
        /schema_migrations has a dirty column, so golang-migrate wrote it, not dbmate: use --from golang-migrate/,
      );
    });
  });

  describe('flyway', () => {
    test('records the versions of successful runs', async () => {
      await importFrom('flyway');
      await flywayMigrate(db, path.join(ADOPT, 'flyway'));

      const result = await baselineFrom('flyway');

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 3 });
      expect(await ids()).toEqual([1, 2, 3]);
    });

    test('counts the versions up to a BASELINE row as applied', async () => {
      await importFrom('flyway');
      await db.query(
        'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE); CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), title text NOT NULL)',
      );
      await flywayMigrate(db, path.join(ADOPT, 'flyway'), { steps: 0 });
      await flywayRecord(db, {
        version: '2',
        description: '<< Flyway Baseline >>',
        type: 'BASELINE',
        script: '<< Flyway Baseline >>',
        success: true,
      });

      const result = await baselineFrom('flyway');

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 2 });
      expect(summaryLine(await runMigrator(['up'], { env }))).toMatchObject({ versioned: 1, currentVersion: 3 });
    });

    test('refuses a failed run (success false)', async () => {
      await importFrom('flyway');
      await flywayMigrate(db, path.join(ADOPT, 'flyway'), { failAt: 'V2_1__add_posts_published_at.sql' });
      await expectRefused(
        'flyway',
        /Flyway's run of V2_1__add_posts_published_at\.sql failed \(its row in flyway_schema_history has success false\)/,
      );
    });

    test('refuses a database without its table', async () => {
      await importFrom('flyway');
      await expectRefused('flyway', /there is no table flyway_schema_history on the search_path: this database has no Flyway history/);
    });
  });

  describe('alembic', () => {
    beforeEach(() => {
      migrations.write('versioned/1_create_users.sql', readFileSync(path.join(ADOPT, 'alembic/versioned/1_create_users.sql'), 'utf8'));
      migrations.write('versioned/2_create_posts.sql', readFileSync(path.join(ADOPT, 'alembic/versioned/2_create_posts.sql'), 'utf8'));
    });

    test('records the file of the head revision and every file before it', async () => {
      await alembicUpgrade(db, path.join(ADOPT, 'alembic', 'upgrade.sql'));

      const result = await baselineFrom('alembic');

      expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 2 });
      expect(await ids()).toEqual([1, 2]);
    });

    test('refuses several heads, and a head no file names', async () => {
      await alembicUpgrade(db, path.join(ADOPT, 'alembic', 'upgrade.sql'));
      await db.query("INSERT INTO alembic_version (version_num) VALUES ('3f0a8e2d4c11')");
      await expectRefused(
        'alembic',
        /alembic_version has 2 heads \(27c6a30d7c24, 3f0a8e2d4c11\)|alembic_version has 2 heads \(3f0a8e2d4c11, 27c6a30d7c24\)/,
      );

      await db.query("DELETE FROM alembic_version WHERE version_num = '27c6a30d7c24'");
      await expectRefused(
        'alembic',
        /records alembic version 3f0a8e2d4c11 as applied, but no versioned file has the header line -- migrator: from alembic 3f0a8e2d4c11/,
      );
    });
  });
});
