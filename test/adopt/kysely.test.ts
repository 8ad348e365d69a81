/**
 * Adopting from Kysely: the shared suite over kysely_migration as Kysely writes it (ISO times,
 * runs in one transaction each), then what is Kysely's own: a run under way, seen by its advisory
 * lock, and its table moved by migrationTableSchema.
 */
import { summaryLine } from '../support/cli';
import { KYSELY, KYSELY_LOCK_ID, realisticHistory } from '../support/code-tools';
import { describeMappedAdoption, FILE_COUNT, mappedFixture } from '../support/mapped-adoption';

describeMappedAdoption(KYSELY);

describe('adopting from Kysely', () => {
  const fixture = mappedFixture(KYSELY);

  test('a Kysely run under way (its advisory lock held) is refused, writing nothing; once it ends, the history is adopted', async () => {
    await realisticHistory(fixture.db, KYSELY);
    fixture.writeFiles();
    const mapping = fixture.writeMapping();
    const running = await fixture.db.connect();
    try {
      await running.query(`SELECT pg_advisory_lock(${KYSELY_LOCK_ID})`);
      await fixture.expectRefused(
        { mapping },
        new RegExp(
          `^Kysely is migrating this database now \\(process \\d+ holds its migration lock, pg_advisory_lock\\(${KYSELY_LOCK_ID}\\)\\), so what it applies is not visible yet: wait for it to finish`,
        ),
      );
    } finally {
      await running.end();
    }

    const result = await fixture.baseline('--mapping', mapping);

    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: FILE_COUNT });
  });

  test('--table schema.name reads the table where migrationTableSchema puts it', async () => {
    await fixture.db.query('CREATE SCHEMA app_migrations');
    await realisticHistory(fixture.db, KYSELY);
    await fixture.db.query(
      'ALTER TABLE kysely_migration SET SCHEMA app_migrations; ALTER TABLE kysely_migration_lock SET SCHEMA app_migrations',
    );
    fixture.writeFiles();
    await fixture.expectRefused({ upTo: 5 }, /there is no table kysely_migration on the search_path/);

    const result = await fixture.baseline('--up-to', '5', '--table', 'app_migrations.kysely_migration');

    expect(summaryLine(result)).toMatchObject({ outcome: 'ok', recorded: 5 });
  });
});
