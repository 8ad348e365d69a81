/**
 * Adopting from TypeORM: the shared suite over its table as TypeORM writes it, renamed as the
 * refusal says; then the name both tools give their table: TypeORM's under it is refused with the
 * rename, this migrator's own history is never read as TypeORM's.
 */
import { runMigrator, summaryLine } from '../support/cli';
import { realisticHistory, TYPEORM } from '../support/code-tools';
import { appliedVersions } from '../support/database';
import { describeMappedAdoption, FILE_COUNT, mappedFixture } from '../support/mapped-adoption';

const RENAME = 'ALTER TABLE migrations RENAME TO typeorm_migrations';

describeMappedAdoption(TYPEORM, {
  prepare: async (db) => {
    await db.query(RENAME);
  },
});

describe('adopting from TypeORM', () => {
  const fixture = mappedFixture(TYPEORM);

  test('its table under its default name, migrations, is refused with the rename that frees it; renamed, it is adopted', async () => {
    await realisticHistory(fixture.db, TYPEORM);
    fixture.writeFiles();
    const mapping = fixture.writeMapping();
    const rename =
      /ALTER TABLE migrations RENAME TO typeorm_migrations; where TypeORM still runs, set its migrationsTableName to typeorm_migrations\), then baseline --from typeorm again/;
    await fixture.expectRefused(
      { mapping },
      new RegExp(
        `^there is no table typeorm_migrations on the search_path, and migrations is TypeORM's migration history \\(columns id, timestamp, name\\).*${rename.source}`,
      ),
    );
    await fixture.expectRefused(
      { mapping, table: 'migrations' },
      new RegExp(`^migrations is TypeORM's migration history.*${rename.source}`),
    );

    await fixture.db.query(RENAME);
    const result = await fixture.baseline('--mapping', mapping);

    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: FILE_COUNT });
    const up = await runMigrator(['up'], { env: fixture.env });
    expect(summaryLine(up)).toMatchObject({ versioned: 0, currentVersion: FILE_COUNT });
    expect(await fixture.db.query('SELECT count(*)::int AS rows FROM typeorm_migrations')).toEqual([{ rows: 30 }]);
  });

  test("this migrator's own history, named migrations too, is never read as TypeORM's", async () => {
    fixture.migrations.write('versioned/1_create_users.sql', 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);\n');
    expect((await runMigrator(['up'], { env: fixture.env })).code).toBe(0);
    const mapping = fixture.writeMapping([[TYPEORM.nameOf(0), '1']]);
    await fixture.expectRefused(
      { mapping },
      /^there is no table typeorm_migrations on the search_path: this database has no TypeORM history/,
    );
    await fixture.expectRefused(
      { mapping, table: 'migrations' },
      /^migrations is this migrator's own history \(columns id, name, hash\), not TypeORM's \(id, timestamp, name\): name TypeORM's table with --table/,
    );
    expect((await appliedVersions(fixture.db)).map((row) => row.id)).toEqual([1]);
  });
});
