/**
 * The no-op is the path every pod start takes, and every query on it is a round trip to the
 * server (a network hop in a cluster). The queries a no-op `up` sends are counted on the real
 * client on their way out: one for the session and the lock, two for the history (its catalog
 * checks, then its rows), one asking whether the schema's drift record exists (with the default
 * MIGRATOR_ON_DRIFT=ignore nothing is compared), the planning transaction's BEGIN, for each legacy
 * script one per statement (sent one at a time, so that the server enforces where each ends) and
 * one that resets the session and asks whether the script wrote, two for the declared columns'
 * cache (is it there, then its entry), one for the declared tables, one asking whether the
 * repeatable phase's record exists, the planning transaction's ROLLBACK, and the unlock. The
 * fixture has one legacy script of one statement.
 */
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';
import { runLibrary } from '../support/run';
import { recordSentQueries } from '../support/sent-queries';

describe('a no-op up', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  withFreshDatabase('basic', (fresh) => ({ db, migrations } = fresh));
  afterEach(() => jest.restoreAllMocks());

  test('asks PostgreSQL only what it must', async () => {
    expect((await runLibrary(db, migrations.dir)).report?.outcome).toBe('applied');
    // Counted from here: the second run, which finds nothing to do.
    const recorded = recordSentQueries();

    const { report } = await runLibrary(db, migrations.dir);

    const sent = recorded.map((text) => text.replace(/\s+/g, ' ').trim());
    expect(report?.outcome).toBe('up-to-date');
    expect(sent).toHaveLength(13);
    // The session's settings, its read-only check and the first try at the lock: one query.
    expect(sent[0]).toMatch(/^SELECT pg_is_in_recovery\(\).*pg_try_advisory_lock\(/);
    expect(sent.filter((text) => text.includes('pg_try_advisory_lock'))).toHaveLength(1);
    expect(sent[3]).toMatch(/^SELECT to_regclass\(\$1\) IS NOT NULL AS recorded/);
    expect(sent[4]).toBe('BEGIN');
    expect(sent[5]).toMatch(/^DO \$\$ BEGIN IF to_regclass\('customer'\)/);
    expect(sent[6]).toMatch(/^RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL; .*txid_current_if_assigned\(\)/);
    expect(sent[10]).toMatch(/^SELECT to_regclass\(\$1\) IS NOT NULL AS exists/);
    expect(sent[11]).toBe('ROLLBACK');
    expect(sent[12]).toMatch(/^SELECT pg_advisory_unlock\(/);
  });
});
