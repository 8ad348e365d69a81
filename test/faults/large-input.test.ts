/**
 * A very large migration and a long history both succeed within a 512 MiB memory limit, the
 * smallest limit README.md recommends for migrations of this size.
 */
import path from 'node:path';
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { LARGE_TABLE_SQL, writeLargeMigration } from '../support/large-migration';

const MEMORY_LIMIT_MB = 512;

describe('large input', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations } = fresh));

  test('a 50 MB migration of INSERTs', async () => {
    migrations.write('tables/010_big.sql', LARGE_TABLE_SQL);
    migrations.write('versioned/1_placeholder.sql', 'SELECT 1;');
    const { rows } = await writeLargeMigration(path.join(migrations.dir, 'versioned', '2_fill_big.sql'), 50 * 1024 * 1024);

    const result = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir } });

    expect(result.code).toBe(0);
    expect(await db.query('SELECT count(*)::int AS rows FROM big')).toEqual([{ rows }]);
    expect(summaryLine(result).peakRssMb).toBeLessThan(MEMORY_LIMIT_MB);
  });

  test('a history of 2000 migrations, applied and then a no-op', async () => {
    for (let id = 1; id <= 2000; id++)
      migrations.write(`versioned/${id}_step_${id}.sql`, `COMMENT ON DATABASE ${db.name} IS 'step ${id}';\n`);

    const applied = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' } });
    const noop = await runMigrator(['up'], { env: { ...db.env, MIGRATIONS_DIR: migrations.dir, LOG_LEVEL: 'info' } });

    expect([applied.code, noop.code]).toEqual([0, 0]);
    expect(await appliedVersions(db)).toHaveLength(2000);
    expect(summaryLine(applied)).toMatchObject({ versioned: 2000 });
    expect(summaryLine(noop)).toMatchObject({ outcome: 'up-to-date', versioned: 0, currentVersion: 2000 });
    expect(summaryLine(applied).peakRssMb).toBeLessThan(MEMORY_LIMIT_MB);
  });
});
