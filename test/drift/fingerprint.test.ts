/** The schema's fingerprint against a real PostgreSQL: what drift names, and what it leaves alone. */
import type pg from 'pg';
import { compareWithFingerprint, objectsSql, recordFingerprint, recordFingerprintSql, type LeftOut } from '../../src/drift/fingerprint';
import { createDatabase, type TestDatabase } from '../support/database';

const TABLE = 'public.migrator_schema_fingerprint';
const LEFT_OUT: LeftOut = { ownSchema: 'public', ownTables: ['migrations', 'migrator_schema_fingerprint'], ignoreTables: ['audit_log'] };

describe('the schema fingerprint', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeEach(async () => {
    db = await createDatabase();
    client = await db.connect();
    await client.query(`CREATE SCHEMA other;
      CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '');
      CREATE TABLE notes (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts);
      CREATE INDEX notes_account_id_idx ON notes (account_id);
      CREATE VIEW named AS SELECT id, name FROM accounts;
      CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch();
      CREATE TABLE audit_log (id bigint);
      CREATE TABLE migrations (id integer);`);
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  test('has no baseline before the first record, and no difference right after it', async () => {
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toBeUndefined();
    await recordFingerprint(client, TABLE, LEFT_OUT);
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toEqual([]);
  });

  test.each([
    ['a column added by hand', 'ALTER TABLE accounts ADD COLUMN nickname text', 'column public.accounts.nickname', 'not in any migration'],
    ['an index dropped', 'DROP INDEX notes_account_id_idx', 'index public.notes_account_id_idx', 'missing'],
    ['a view redefined', `CREATE OR REPLACE VIEW named AS SELECT id, upper(name) AS name FROM accounts`, 'view public.named', 'changed'],
    [
      'a function replaced',
      `CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
      'function public.touch()',
      'changed',
    ],
    ['a default changed', `ALTER TABLE accounts ALTER COLUMN name SET DEFAULT 'x'`, 'column public.accounts.name', 'changed'],
  ])('names %s', async (_what, sql, object, state) => {
    await recordFingerprint(client, TABLE, LEFT_OUT);
    await client.query(sql);
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toEqual([{ object, state }]);
  });

  test("finds a schema's objects through the dependency each records on its schema: every kind, a table moved in, not one moved out nor an extension's", async () => {
    await client.query(`CREATE TYPE mood AS ENUM ('sad', 'happy');
      CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
      CREATE TABLE events (at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
      CREATE MATERIALIZED VIEW counts AS SELECT count(*) AS n FROM notes;
      CREATE PROCEDURE noop() LANGUAGE sql AS $$ SELECT 1 $$;
      CREATE TABLE moved_out (id int); ALTER TABLE moved_out SET SCHEMA other;
      CREATE TABLE other.moved_in (id int); ALTER TABLE other.moved_in SET SCHEMA public;
      CREATE EXTENSION citext`);
    await recordFingerprint(client, TABLE, LEFT_OUT);
    const [{ keys }] = (
      await client.query<{ keys: string[] }>(`SELECT array(SELECT jsonb_object_keys(objects) ORDER BY 1) AS keys FROM ${TABLE}`)
    ).rows;

    expect(keys.filter((key) => !key.startsWith('column ') && !key.startsWith('constraint '))).toEqual([
      'function public.noop()',
      'function public.touch()',
      'index public.accounts_pkey',
      'index public.notes_account_id_idx',
      'index public.notes_pkey',
      'materialized view public.counts',
      'table public.accounts',
      'table public.events',
      'table public.events_2026',
      'table public.moved_in',
      'table public.notes',
      'trigger public.accounts.accounts_touch',
      'type public.mood',
      'type public.positive',
      'view public.named',
    ]);
  });

  test('reads pg_namespace, pg_class, pg_attribute, pg_depend, pg_proc and pg_type by key, never whole: a fleet of schemas does not make each record dearer', async () => {
    // A hundred schemas: pg_namespace is then large enough that the planner looks a name up where the query lets it (with thirty it reads its one page whatever the query).
    await client.query(`DO $$ BEGIN FOR i IN 1..100 LOOP EXECUTE format('CREATE SCHEMA t%s; CREATE TABLE t%s.a (id int PRIMARY KEY, v text)', i, i); END LOOP; END $$;
      ANALYZE pg_catalog.pg_namespace; ANALYZE pg_catalog.pg_class; ANALYZE pg_catalog.pg_attribute; ANALYZE pg_catalog.pg_depend;
      ANALYZE pg_catalog.pg_proc; ANALYZE pg_catalog.pg_type`);
    const sql = objectsSql(client, `'["public"]'::jsonb`, LEFT_OUT);

    const [{ 'QUERY PLAN': plan }] = (await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows;

    const scanned: string[] = [];
    const walk = (node: { 'Node Type': string; 'Relation Name'?: string; Plans?: unknown[] }) => {
      if (node['Node Type'] === 'Seq Scan') scanned.push(node['Relation Name']!);
      for (const child of node.Plans ?? []) walk(child as typeof node);
    };
    walk(plan[0].Plan);
    expect(
      scanned.filter((name) => ['pg_namespace', 'pg_class', 'pg_attribute', 'pg_depend', 'pg_proc', 'pg_type'].includes(name)),
    ).toEqual([]);
  });

  test('leaves out ignored tables, its own tables, other schemas, and does not depend on the reader’s search_path', async () => {
    await recordFingerprint(client, TABLE, LEFT_OUT);
    await client.query(`ALTER TABLE audit_log ADD COLUMN at timestamptz; CREATE INDEX ON audit_log (at);
      ALTER TABLE migrations ADD COLUMN x int; CREATE TABLE other.t (id int); SET search_path = other, public`);
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toEqual([]);
  });

  test("records in the caller's transaction: rolled back with it, and the search_path given back", async () => {
    await client.query('SET search_path = other, public');
    await client.query('BEGIN');
    await client.query(recordFingerprintSql(client, TABLE, LEFT_OUT));
    const [{ search_path: inside }] = (await client.query<{ search_path: string }>('SHOW search_path')).rows;
    await client.query('ROLLBACK');

    expect(inside).toBe('other, public');
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toBeUndefined();
    await client.query('BEGIN');
    await client.query(recordFingerprintSql(client, TABLE, LEFT_OUT));
    await client.query('COMMIT');
    const [{ schemas }] = await db.query<{ schemas: string[] }>(`SELECT schemas FROM ${TABLE}`);
    expect(schemas).toEqual(['other', 'public']);
  });

  test('writes nothing when it compares', async () => {
    await recordFingerprint(client, TABLE, LEFT_OUT);
    const [before] = await db.query<{ xmin: string }>(`SELECT xmin::text FROM ${TABLE}`);
    await client.query('ALTER TABLE accounts ADD COLUMN nickname text');
    await client.query('SET default_transaction_read_only = on');
    expect(await compareWithFingerprint(client, TABLE, LEFT_OUT)).toHaveLength(1);
    expect(await db.query(`SELECT xmin::text FROM ${TABLE}`)).toEqual([before]);
  });
});
