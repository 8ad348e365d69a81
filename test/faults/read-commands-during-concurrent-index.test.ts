/**
 * An app's gate (`check --wait`, with a role that may change the schema) or an operator's `plan`
 * started while `up` builds an index CONCURRENTLY. Read commands dry-run legacy scripts in a
 * planning transaction that holds a snapshot; a script that ALTERs the table being indexed waits for
 * the builder's lock while the build waits for that snapshot, and PostgreSQL kills one of them: the
 * builder, leaving an INVALID index and `up` failing. Read commands now take the migration lock in
 * shared mode before they plan: while a writer holds it, `check` answers "a migration is running"
 * (exit 3) without opening a transaction, and `plan` waits for the writer to finish.
 */
import { runMigrator, startMigrator } from '../support/cli';
import type { TestDatabase } from '../support/database';
import type { TempMigrations } from '../support/fixtures';
import { withFreshDatabase } from '../support/fresh';

const NO_TRANSACTION = '-- postgres-migrations disable-transaction\n';

describe('read commands started while up builds an index concurrently', () => {
  let db: TestDatabase;
  let migrations: TempMigrations;
  let env: Record<string, string>;
  withFreshDatabase(undefined, (fresh) => ({ db, migrations, env } = fresh));

  async function untilBuilding(): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const building = await db.query(
        `SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
            AND query ILIKE '%CREATE INDEX CONCURRENTLY items_slow_idx%'`,
      );
      if (building.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the index build never started');
  }

  test('up exits 0 with a valid index; check answers 0 or 3 ("a migration is running"), plan waits; nobody deadlocks', async () => {
    migrations.write('tables/010_items.sql', 'CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a int);\n');
    // Each row costs the build a millisecond, so that it takes a few seconds whatever the machine.
    migrations.write(
      'versioned/1_slow.sql',
      `CREATE FUNCTION slow(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN v; END $$;\n` +
        'INSERT INTO items (a) SELECT g FROM generate_series(1, 5000) g;\n',
    );
    expect((await runMigrator(['up'], { env })).code).toBe(0);
    // A repair dry-run by every plan: with nothing to do it still takes a lock on items (SHARE) that
    // the concurrent build's conflicts with.
    migrations.write('legacy/001_items_a_plain_idx.sql', 'CREATE INDEX IF NOT EXISTS items_a_plain_idx ON items (a);\n');
    expect((await runMigrator(['up'], { env })).code).toBe(0);

    migrations.write('versioned/2_items_slow_idx.sql', `${NO_TRANSACTION}CREATE INDEX CONCURRENTLY items_slow_idx ON items (slow(a));\n`);
    const up = startMigrator(['up'], { env });
    await untilBuilding();
    const [check, checkWait, planned] = await Promise.all([
      runMigrator(['check'], { env }),
      runMigrator(['check', '--wait', '--timeout', '60'], { env }),
      runMigrator(['plan'], { env }),
    ]);
    const built = await up.done;

    const everything = [built, check, checkWait, planned].map(({ stdout, stderr }) => stdout + stderr).join('\n');
    expect(everything).not.toContain('deadlock detected');
    expect(built.code).toBe(0);
    expect(await db.query(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'items_slow_idx'::regclass`)).toEqual([
      { valid: true },
    ]);

    // Started while the build ran: not current yet, and saying why, never a failure.
    expect(check.code).toBe(3);
    expect(check.stdout + check.stderr).toMatch(/a migration is running \(pid \d+/);
    // check --wait kept asking until the run ended; plan waited for it, so it plans a settled schema.
    expect(checkWait.code).toBe(0);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain('another migrator holds the lock, waiting for it');
    expect((await runMigrator(['check'], { env })).code).toBe(0);
  }, 120_000);

  test('a script that releases the lock while a read command dry-runs it is found after planning: exit 6, as with up', async () => {
    migrations.write('tables/010_items.sql', 'CREATE TABLE items (id int);\n');
    migrations.write('legacy/001_unlock.sql', 'SELECT pg_advisory_unlock_all();\n');
    for (const command of ['plan', 'check', 'up']) {
      const result = await runMigrator([command], { env });
      expect({ command, code: result.code }).toEqual({ command, code: 6 });
      expect(result.stdout + result.stderr).toContain('a script dry-run while planning released the migration lock');
    }
  }, 60_000);
});
