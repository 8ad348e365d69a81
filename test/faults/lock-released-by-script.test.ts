/**
 * A script that releases the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with
 * the migrator's key) lets other runners in while it runs. The session checks that it still holds
 * the lock inside each step's transaction before the step commits (and before a versioned file's
 * history row), so the step is rolled back and the run fails with a documented error instead of
 * racing another runner into a duplicate history row (23505).
 */
import { runMigrator, summaryLine } from '../support/cli';
import { appliedVersions, tableNames, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const RUNNERS = 5;

describe('a script that releases the migration lock', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase('basic', (fresh) => ({ db, migrations, env } = fresh));

  test(`a versioned file, ${RUNNERS} runners at once: each exits 1 saying so, nothing of the file applied or recorded`, async () => {
    migrations.write(
      'versioned/3_unlock.sql',
      'CREATE TABLE unlocked (id int);\nINSERT INTO unlocked VALUES (1);\nSELECT pg_advisory_unlock_all();\n',
    );

    const results = await Promise.all(Array.from({ length: RUNNERS }, () => runMigrator(['up'], { env })));

    expect(results.map((result) => result.code)).toEqual(Array(RUNNERS).fill(1));
    for (const result of results) {
      expect(summaryLine(result)).toMatchObject({
        exitCode: 1,
        errorType: 'MigrationFailedError',
        phase: 'versioned',
        file: '3_unlock.sql',
        msg: "versioned/3_unlock.sql released the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with the migrator's key), so another runner could run at the same time; its transaction was rolled back: a migration must never release the lock",
      });
      expect(result.stdout + result.stderr).not.toContain('23505');
    }
    expect(await tableNames(db)).not.toContain('unlocked');
    expect((await appliedVersions(db)).map((row) => row.id)).toEqual([1, 2]);
  });

  test('a legacy script that releases it only when applied: exit 1, its transaction rolled back', async () => {
    // Sequences ignore rollback: the dry run while planning draws 1 and keeps the lock; applying draws 2.
    await db.query('CREATE SEQUENCE unlock_calls');
    migrations.write(
      'legacy/002_unlock.sql',
      "CREATE TABLE unlocked (id int);\nSELECT CASE WHEN nextval('unlock_calls') > 1 THEN pg_advisory_unlock_all() END;\n",
    );

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(1);
    expect(summaryLine(result)).toMatchObject({
      errorType: 'MigrationFailedError',
      phase: 'legacy',
      file: '002_unlock.sql',
      msg: "legacy/002_unlock.sql released the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with the migrator's key), so another runner could run at the same time; its transaction was rolled back: a migration must never release the lock",
    });
    expect(await tableNames(db)).not.toContain('unlocked');
    expect(await appliedVersions(db)).toEqual([]);
  });

  test('a script that releases it while dry-run (planning): exit 6 before any step, nothing changed', async () => {
    migrations.write('legacy/002_unlock.sql', 'CREATE TABLE unlocked (id int);\nSELECT pg_advisory_unlock_all();\n');

    const result = await runMigrator(['up'], { env });

    expect(result.code).toBe(6);
    expect(summaryLine(result)).toMatchObject({
      errorType: 'ValidationError',
      msg: "a script dry-run while planning released the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with the migrator's key), so nothing was changed: a migration must never release the lock",
    });
    expect(await tableNames(db)).toEqual([]);
  });
});
