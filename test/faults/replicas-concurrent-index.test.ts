/**
 * A Deployment's replicas (and a Job beside them) start at once on a release with a pending
 * CREATE INDEX CONCURRENTLY. The build waits for every transaction with an older snapshot; a runner
 * that waited for the migration lock inside a running statement held one while waiting for the
 * builder's session, and PostgreSQL broke the cycle by killing one of them. Waiting runners now
 * poll for the lock between short statements, holding no snapshot, so every replica exits 0.
 */
import { runMigrator, type CliResult } from '../support/cli';
import { appliedVersions, type TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const RUNNERS = 8;
const NO_TRANSACTION = '-- postgres-migrations disable-transaction\n';

describe('replicas started together over a pending CREATE INDEX CONCURRENTLY', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  const indexes = () =>
    db.query<{ name: string; valid: boolean }>(
      `SELECT c.relname AS name, i.indisvalid AS valid
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'items'::regclass AND NOT i.indisprimary ORDER BY 1`,
    );

  async function allRunnersAtOnce(): Promise<CliResult[]> {
    const results = await Promise.all(Array.from({ length: RUNNERS }, () => runMigrator(['up'], { env })));
    const outcomes = results.map(({ code, stdout, stderr }) => ({
      code,
      deadlock: (stdout + stderr).includes('deadlock detected'),
      stackTrace: (stdout + stderr).includes('    at '),
    }));
    expect(outcomes).toEqual(Array(RUNNERS).fill({ code: 0, deadlock: false, stackTrace: false }));
    return results;
  }

  test(`${RUNNERS} runners, 2 rounds: every one exits 0, the indexes are valid, each version recorded once`, async () => {
    migrations.write('tables/010_items.sql', 'CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a int, b int);\n');
    migrations.write(
      'versioned/1_seed.sql',
      'INSERT INTO items (a, b) SELECT g, g FROM generate_series(1, 200000) g WHERE NOT EXISTS (SELECT 1 FROM items);\n',
    );
    migrations.write('versioned/2_items_a_idx.sql', `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS items_a_idx ON items (a);\n`);

    const first = await allRunnersAtOnce();
    // Most replicas found the lock taken: they waited for it rather than failing.
    expect(first.filter((result) => result.stdout.includes('another migrator holds the lock, waiting for it')).length).toBeGreaterThan(0);
    expect(await indexes()).toEqual([{ name: 'items_a_idx', valid: true }]);
    expect(await appliedVersions(db)).toEqual([
      { id: 1, name: 'seed' },
      { id: 2, name: 'items_a_idx' },
    ]);

    migrations.write('versioned/3_items_b_idx.sql', `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY IF NOT EXISTS items_b_idx ON items (b);\n`);
    await allRunnersAtOnce();
    expect(await indexes()).toEqual([
      { name: 'items_a_idx', valid: true },
      { name: 'items_b_idx', valid: true },
    ]);
    expect(await appliedVersions(db)).toEqual([
      { id: 1, name: 'seed' },
      { id: 2, name: 'items_a_idx' },
      { id: 3, name: 'items_b_idx' },
    ]);
  }, 240_000);
});
