/**
 * A tenant's run stays in its schema: its own history and tables (also when other tenants already
 * have theirs), its own lock, and a fast path that never hides work the full pipeline would do.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { schemaLockKey } from '../../src/db/lock-key';
import { runMigrator } from '../support/cli';
import { withFreshDatabase, type Fresh } from '../support/fresh';
import { waitUntil } from '../support/wait';

const TENANTS = "SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'";

describe('fleet tenants of one database', () => {
  let fresh: Fresh;
  withFreshDatabase('basic', (given) => (fresh = given));

  const fleet = (...args: string[]) =>
    runMigrator(['fleet', ...args, '--targets-sql', TENANTS], { env: { ...fresh.env, LOG_LEVEL: 'info' } });
  const targetLines = (lines: Array<Record<string, unknown>>) =>
    Object.fromEntries(lines.filter((line) => line.target !== undefined && line.outcome !== undefined).map((line) => [line.target, line]));
  const versionOf = async (schema: string) =>
    (await fresh.db.query<{ version: number }>(`SELECT max(id)::int AS version FROM "${schema}".migrations`))[0].version;

  test('a tenant added after the others were migrated gets its own history and tables; nothing goes to public', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    expect((await fleet('up')).code).toBe(0);
    await fresh.db.query('CREATE SCHEMA tenant_c');

    const run = await fleet('up');

    expect(run.code).toBe(0);
    const lines = targetLines(run.lines);
    expect(lines['schema:tenant_c']).toMatchObject({ outcome: 'applied', versionBefore: 0, versionAfter: 2 });
    expect(lines['schema:tenant_a']).toMatchObject({ outcome: 'up-to-date', versionAfter: 2 });
    const tables = await fresh.db.query<{ schema: string; table: string }>(
      `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
    );
    for (const schema of ['tenant_a', 'tenant_b', 'tenant_c']) {
      expect(tables.filter((row) => row.schema === schema).map((row) => row.table)).toEqual(
        expect.arrayContaining(['customers', 'orders', 'migrations']),
      );
    }
    expect(tables.filter((row) => !row.schema.startsWith('tenant_'))).toEqual([]);
  });

  test("a tenant's lock is its own: one held elsewhere delays that tenant only, and the database-wide lock none", async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    const holder = await fresh.db.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, $2)', [...schemaLockKey('tenant_a')]);
      await holder.query('SELECT pg_advisory_lock($1, $2)', [0x6d696772, 0x61746f72]);

      const run = await runMigrator(['fleet', 'up', '--targets-sql', TENANTS, '--max-failures', '1'], {
        env: { ...fresh.env, LOG_LEVEL: 'info', MIGRATOR_LOCK_WAIT: '1' },
      });

      expect(run.code).toBe(5);
      const lines = targetLines(run.lines);
      expect(lines['schema:tenant_a']).toMatchObject({ outcome: 'failed', exitCode: 5, errorType: 'LockTimeoutError' });
      expect(lines['schema:tenant_b']).toMatchObject({ outcome: 'applied', versionAfter: 2 });
      expect(await fresh.db.query(`SELECT to_regclass('tenant_a.migrations') AS history`)).toEqual([{ history: null }]);
    } finally {
      await holder.end();
    }
  });

  test('the fast path never hides work: a table or a column dropped by hand is made again', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    expect((await fleet('up')).code).toBe(0);
    await fresh.db.query('DROP TABLE tenant_a.orders; ALTER TABLE tenant_b.customers DROP COLUMN created_at');

    const check = await fleet('check');
    expect(check.code).toBe(3);
    const run = await fleet('up');

    expect(run.code).toBe(0);
    const lines = targetLines(run.lines);
    expect(lines['schema:tenant_a']).toMatchObject({ outcome: 'applied' });
    expect(lines['schema:tenant_b']).toMatchObject({ outcome: 'applied' });
    expect(await fresh.db.query(`SELECT to_regclass('tenant_a.orders')::text AS orders`)).toEqual([{ orders: 'tenant_a.orders' }]);
    expect(
      await fresh.db.query(
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'tenant_b' AND column_name = 'created_at'`,
      ),
    ).toEqual([{ n: 1 }]);
    expect((await fleet('check')).code).toBe(0);
  });

  test('check --schema gates one tenant; a schema that does not exist is a usage error', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    expect((await fleet('up')).code).toBe(0);
    fresh.migrations.write('versioned/3_customers_note.sql', 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS note text;\n');
    const file = `${fresh.migrations.dir}/../tenants-${fresh.db.name}.txt`;
    fresh.migrations.write(`../tenants-${fresh.db.name}.txt`, 'schema:tenant_b\n');
    expect((await runMigrator(['fleet', 'up', '--targets-file', file], { env: fresh.env })).code).toBe(0);

    const check = (schema: string) => runMigrator(['check', '--schema', schema], { env: fresh.env });
    expect((await check('tenant_a')).code).toBe(3);
    expect((await check('tenant_b')).code).toBe(0);
    const missing = await check('tenant_zz');
    expect(missing.code).toBe(2);
    // A usage error's line goes to stderr.
    expect(missing.stderr).toContain(
      JSON.stringify('schema "tenant_zz" does not exist in this database: create it (CREATE SCHEMA)').slice(1, -1),
    );
    expect(await versionOf('tenant_a')).toBe(2);
    expect(await versionOf('tenant_b')).toBe(3);
  });

  test('the backup command runs before each tenant that has work, told which schema', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    const log = path.join(fresh.migrations.dir, 'backups.log');
    const env = { ...fresh.env, MIGRATOR_BACKUP_COMMAND: `echo "$PGDATABASE $MIGRATOR_TARGET_SCHEMA" >> '${log}'` };
    const run = () => runMigrator(['fleet', 'up', '--targets-sql', TENANTS], { env });

    expect((await run()).code).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual([`${fresh.db.name} tenant_a`, `${fresh.db.name} tenant_b`]);
    expect((await run()).code).toBe(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  test('the fast path sees an INVALID index a versioned file builds CONCURRENTLY, so up rebuilds it', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    fresh.migrations.write(
      'versioned/3_customers_email_lower.sql',
      '-- postgres-migrations disable-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customers_email_lower_idx ON customers (lower(email));\n',
    );
    expect((await fleet('up')).code).toBe(0);
    // An interrupted or failed build leaves its index INVALID: here, a duplicate made it fail.
    await fresh.db.query(
      "DROP INDEX tenant_a.customers_email_lower_idx; INSERT INTO tenant_a.customers (email) VALUES ('A@x.test'), ('a@x.test')",
    );
    await expect(
      fresh.db.query('CREATE UNIQUE INDEX CONCURRENTLY customers_email_lower_idx ON tenant_a.customers (lower(email))'),
    ).rejects.toThrow(/could not create unique index/);
    await fresh.db.query("DELETE FROM tenant_a.customers WHERE email = 'A@x.test'");

    const check = await fleet('check');
    expect(check.code).toBe(3);
    expect(targetLines(check.lines)['schema:tenant_b']).toMatchObject({ outcome: 'up-to-date' });
    const run = await fleet('up');

    expect(run.code).toBe(0);
    expect(targetLines(run.lines)['schema:tenant_a']).toMatchObject({ outcome: 'applied' });
    expect(
      await fresh.db.query(
        `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname = 'customers_email_lower_idx' AND c.relnamespace = 'tenant_a'::regnamespace`,
      ),
    ).toEqual([{ valid: true }]);
  });

  describe('a versioned file that builds an index CONCURRENTLY answers only for the indexes of its own tenant', () => {
    const CONCURRENT_INDEX =
      '-- postgres-migrations disable-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS customers_email_lower_idx ON customers (lower(email));\n';
    const invalidIndexes = () => fresh.db.query(`SELECT indexrelid::regclass::text AS index FROM pg_index WHERE NOT indisvalid ORDER BY 1`);

    test("tenants building it at once: another tenant's build, INVALID until it ends, is not left by this one", async () => {
      const tenants = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((letter) => `tenant_${letter}`);
      await fresh.db.query(tenants.map((tenant) => `CREATE SCHEMA ${tenant}`).join('; '));
      fresh.migrations.write('versioned/3_customers_email_lower.sql', CONCURRENT_INDEX);

      const run = await fleet('up', '--parallel', '8');

      expect(targetLines(run.lines)).toEqual(
        Object.fromEntries(tenants.map((tenant) => [`schema:${tenant}`, expect.objectContaining({ outcome: 'applied' })])),
      );
      expect(run.code).toBe(0);
      expect(await invalidIndexes()).toEqual([]);
    });

    test("a build that fails in another schema while a tenant's build runs is not that tenant's failure", async () => {
      await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
      expect((await fleet('up')).code).toBe(0);
      await fresh.db.query("INSERT INTO tenant_a.customers (email) VALUES ('A@x.test'), ('a@x.test')");
      fresh.migrations.write('versioned/3_customers_email_lower.sql', CONCURRENT_INDEX);
      const targets = `${fresh.migrations.dir}/../tenants-${fresh.db.name}.txt`;
      fresh.migrations.write(`../tenants-${fresh.db.name}.txt`, 'schema:tenant_b\n');
      // A transaction with a snapshot holds tenant_b's build in its last wait, until it ends.
      const snapshot = await fresh.db.connect();
      try {
        await snapshot.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
        const running = runMigrator(['fleet', 'up', '--targets-file', targets], { env: { ...fresh.env, LOG_LEVEL: 'info' } });
        await waitUntil(
          async () =>
            (
              await fresh.db.query(
                `SELECT 1 FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid
                  WHERE c.relnamespace = 'tenant_b'::regnamespace AND p.phase = 'waiting for old snapshots'`,
              )
            ).length > 0,
          "tenant_b's build waits for old snapshots",
        );
        await expect(
          fresh.db.query('CREATE UNIQUE INDEX CONCURRENTLY customers_email_lower_idx ON tenant_a.customers (lower(email))'),
        ).rejects.toThrow(/could not create unique index/);
        await snapshot.query('COMMIT');

        const run = await running;

        expect(targetLines(run.lines)['schema:tenant_b']).toMatchObject({ outcome: 'applied', versionAfter: 3 });
        expect(run.code).toBe(0);
        expect(await invalidIndexes()).toEqual([{ index: 'tenant_a.customers_email_lower_idx' }]);
      } finally {
        await snapshot.end();
      }
    });
  });

  test('tenants whose only pending files are post-deploy are current for a plain fleet up, found so without their lock; --post-deploy applies them', async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    expect((await fleet('up')).code).toBe(0);
    fresh.migrations.write('versioned/3_drop_customers_note.sql', '-- migrator: post-deploy\nCREATE TABLE contracted (id int);\n');
    const holder = await fresh.db.connect();
    try {
      // A full run would wait for this lock and fail; the quick look takes none.
      await holder.query('SELECT pg_advisory_lock($1, $2)', [...schemaLockKey('tenant_a')]);
      const plain = await runMigrator(['fleet', 'up', '--targets-sql', TENANTS], {
        env: { ...fresh.env, LOG_LEVEL: 'info', MIGRATOR_LOCK_WAIT: '1' },
      });

      expect(plain.code).toBe(0);
      expect(targetLines(plain.lines)['schema:tenant_a']).toMatchObject({ outcome: 'up-to-date', versionAfter: 2 });
      expect(targetLines(plain.lines)['schema:tenant_b']).toMatchObject({ outcome: 'up-to-date', versionAfter: 2 });
    } finally {
      await holder.end();
    }

    const contract = await fleet('up', '--post-deploy');

    expect(contract.code).toBe(0);
    for (const tenant of ['a', 'b'])
      expect(targetLines(contract.lines)[`schema:tenant_${tenant}`]).toMatchObject({ outcome: 'applied', versionAfter: 3 });
    expect(await fresh.db.query(`SELECT to_regclass('tenant_a.contracted')::text AS made`)).toEqual([{ made: 'tenant_a.contracted' }]);
  });

  test('a worker keeps its connection from tenant to tenant: no login per tenant, and nothing a script leaves in the session reaches the next', async () => {
    await fresh.db.query(`CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_c; CREATE SCHEMA tenant_d;
                          CREATE ROLE tenant_reader NOLOGIN; GRANT tenant_reader TO CURRENT_USER`);
    // Each would fail on a session that had run it for another tenant: the temporary table and the
    // prepared statement would exist already, and the role would lack CREATE in the next schema.
    fresh.migrations.write(
      'versioned/3_session_state.sql',
      `CREATE TEMP TABLE counted (n int);
       PREPARE count_customers AS SELECT count(*) FROM customers;
       SELECT pg_advisory_lock(4242);
       SELECT set_config('search_path', 'public', false);
       SET SESSION ROLE tenant_reader;\n`,
    );
    const sessions = async () =>
      (await fresh.db.query<{ sessions: number }>('SELECT sessions::int FROM pg_stat_database WHERE datname = current_database()'))[0]
        .sessions;
    const before = await sessions();

    const run = await fleet('up', '--parallel', '1');

    expect(run.code).toBe(0);
    const lines = targetLines(run.lines);
    for (const tenant of ['a', 'b', 'c', 'd'])
      expect(lines[`schema:tenant_${tenant}`]).toMatchObject({ outcome: 'applied', versionAfter: 3 });
    // The targets query's session, the worker's one, and this test's own query.
    expect((await sessions()) - before).toBeLessThanOrEqual(3);
    expect(await fresh.db.query("SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242")).toEqual([
      { held: 0 },
    ]);
  });

  test("after a tenant fails, its worker's next tenant runs on a sound connection", async () => {
    await fresh.db.query('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b; CREATE SCHEMA tenant_c');
    fresh.migrations.write(
      'versioned/3_fails_in_b.sql',
      `CREATE TEMP TABLE kept_by_a_failed_session (n int);
       DO $$ BEGIN IF current_schema() = 'tenant_b' THEN RAISE EXCEPTION 'tenant_b refuses'; END IF; END $$;\n`,
    );

    const run = await fleet('up', '--parallel', '1', '--max-failures', '1');

    expect(run.code).toBe(1);
    const lines = targetLines(run.lines);
    expect(lines['schema:tenant_a']).toMatchObject({ outcome: 'applied', versionAfter: 3 });
    expect(lines['schema:tenant_b']).toMatchObject({ outcome: 'failed', versionAfter: 2 });
    expect(lines['schema:tenant_c']).toMatchObject({ outcome: 'applied', versionAfter: 3 });
    expect(await versionOf('tenant_b')).toBe(2);
  });
});
