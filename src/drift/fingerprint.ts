/**
 * The schema's fingerprint, for drift detection (issue 26): one catalog query on the server turns
 * every managed object (table, column with its type, default and nullability, constraint, index,
 * view, function, trigger, type) into a key naming it and an md5 of its definition. Only the
 * schemas of the session's search_path are managed; the migrator's own tables and the ignored ones
 * (MIGRATOR_IGNORE_TABLES) are left out, with everything on them. Object-level, so that a
 * difference names the object: "index public.notes_account_id_idx: missing".
 *
 * Definitions are rendered with search_path = pg_catalog (SET LOCAL, in the query's
 * transaction), so that every name in them is qualified and the same whatever the role's
 * search_path: a gate's read-only role compares what the migrator's role recorded.
 */
import type pg from 'pg';
import { textArraySql } from '../db/sql-literal';
import { inTransaction } from '../db/transaction';
import type { DriftDifference as Difference } from '../results';

export interface LeftOut {
  /** The schema of the migrator's own tables (its tables there are left out). */
  ownSchema?: string;
  ownTables: string[];
  /** MIGRATOR_IGNORE_TABLES: "table" in any schema, "schema.table" only there. */
  ignoreTables: string[];
}

/**
 * The objects of `schemas` (a jsonb array of names) as key → md5(definition).
 *
 * Every lookup goes through an index, keyed by the schema or by the object: the schemas by name
 * (matched against an array of names; as `IN (SELECT ...)` the planner hashed a scan of
 * pg_namespace instead), a schema's relations, functions and types are found by the dependency each
 * records on its schema (pg_depend's index on the referenced object), not by scanning pg_class,
 * pg_proc and pg_type, and what hangs off a table by that table's oid. Scans would grow with every
 * other schema of the database, so that recording each tenant of a fleet of schemas would cost more
 * the larger the fleet. `OFFSET 0` keeps each lateral lookup a lookup: the planner cannot merge it
 * into a join it would rather hash.
 */
export function objectsSql(client: pg.Client, schemas: string, leftOut: LeftOut): string {
  // text[] literals for `= ANY`: a filter on a list needs no subplan to run.
  const ignored = textArraySql(client, leftOut.ignoreTables);
  const own = textArraySql(client, leftOut.ownTables);
  const ownSchema = client.escapeLiteral(leftOut.ownSchema ?? '');
  const notInExtension = (catalog: string, oid: string) =>
    `NOT EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE e.classid = '${catalog}'::pg_catalog.regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
  return `WITH ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY (ARRAY(SELECT jsonb_array_elements_text(${schemas}))::name[])
), member AS (
  SELECT DISTINCT d.classid, d.objid, ns.nspname
    FROM ns, LATERAL (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
                       WHERE d.refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass AND d.refobjid = ns.oid OFFSET 0) d
), rel AS (
  SELECT c.oid, c.relname, c.relkind, m.nspname, format('%I.%I', m.nspname, c.relname) AS name
    FROM member m, LATERAL (SELECT c.oid, c.relname, c.relkind FROM pg_catalog.pg_class c WHERE c.oid = m.objid OFFSET 0) c
   WHERE m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
     AND ${notInExtension('pg_catalog.pg_class', 'c.oid')}
     AND NOT (m.nspname = ${ownSchema} AND c.relname::text = ANY (${own}))
     AND NOT (c.relname::text = ANY (${ignored}) OR m.nspname || '.' || c.relname = ANY (${ignored}))
), objects(key, definition) AS (
  SELECT CASE relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' ELSE 'table ' END || name,
         CASE WHEN relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(oid) ELSE relkind::text END
    FROM rel
  UNION ALL
  SELECT 'column ' || rel.name || '.' || quote_ident(a.attname),
         concat_ws(' ', pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
                   (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum))
    FROM rel, LATERAL (SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attidentity, a.attgenerated
                         FROM pg_catalog.pg_attribute a WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped OFFSET 0) a
   WHERE rel.relkind IN ('r', 'p', 'f')
  UNION ALL
  SELECT 'constraint ' || rel.name || '.' || quote_ident(k.conname), pg_catalog.pg_get_constraintdef(k.oid)
    FROM rel, LATERAL (SELECT k.oid, k.conname FROM pg_catalog.pg_constraint k WHERE k.conrelid = rel.oid OFFSET 0) k
  UNION ALL
  SELECT 'index ' || format('%I.%I', rel.nspname, (SELECT i.relname FROM pg_catalog.pg_class i WHERE i.oid = x.indexrelid)),
         pg_catalog.pg_get_indexdef(x.indexrelid)
    FROM rel, LATERAL (SELECT x.indexrelid FROM pg_catalog.pg_index x WHERE x.indrelid = rel.oid OFFSET 0) x
  UNION ALL
  SELECT 'trigger ' || rel.name || '.' || quote_ident(t.tgname), pg_catalog.pg_get_triggerdef(t.oid)
    FROM rel, LATERAL (SELECT t.oid, t.tgname FROM pg_catalog.pg_trigger t WHERE t.tgrelid = rel.oid AND NOT t.tgisinternal OFFSET 0) t
  UNION ALL
  SELECT 'function ' || format('%I.%I', m.nspname, p.proname) || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
         pg_catalog.pg_get_functiondef(p.oid)
    FROM member m, LATERAL (SELECT p.oid, p.proname, p.prokind FROM pg_catalog.pg_proc p WHERE p.oid = m.objid OFFSET 0) p
   WHERE m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.prokind IN ('f', 'p', 'w')
     AND ${notInExtension('pg_catalog.pg_proc', 'p.oid')}
  UNION ALL
  SELECT 'type ' || format('%I.%I', m.nspname, t.typname),
         concat_ws(' ', t.typtype, pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,
                   (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
                   (SELECT string_agg(pg_catalog.pg_get_constraintdef(k.oid), ',' ORDER BY k.conname) FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid))
    FROM member m, LATERAL (SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull
                              FROM pg_catalog.pg_type t WHERE t.oid = m.objid OFFSET 0) t
   WHERE m.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND t.typtype IN ('e', 'd', 'r')
     AND ${notInExtension('pg_catalog.pg_type', 't.oid')}
)
SELECT coalesce(jsonb_object_agg(key, md5(definition)), '{}'::jsonb) AS objects FROM objects`;
}

/** Runs the statements `sql` with every name in catalog definitions qualified (see the top of this file), in one round trip. */
async function qualified<R extends pg.QueryResultRow>(client: pg.Client, sql: string): Promise<R[]> {
  try {
    const results = (await client.query(
      `BEGIN; SET LOCAL search_path = pg_catalog, pg_temp; ${sql}; COMMIT`,
    )) as unknown as pg.QueryResult<R>[];
    return results[2].rows;
  } catch (error) {
    // A failing statement skips the rest of the query, COMMIT too: its transaction is left open.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Settings of the recording's own, for its transaction only: the search_path it found, and that path's schemas. */
const SAVED_PATH = 'migrator.fingerprint_search_path';
const SAVED_SCHEMAS = 'migrator.fingerprint_schemas';

/**
 * SQL that records the schema as it is now in `table` (ownTable(client, FINGERPRINT_TABLE)),
 * replacing the last record: the schemas of the session's search_path, and every object's hash,
 * computed and stored by the server (the objects never travel to the client). It runs inside the
 * caller's transaction (the run's last step's, so that the record and the change it describes
 * commit together) and leaves that transaction's search_path as it found it.
 */
export function recordFingerprintSql(client: pg.Client, table: string, leftOut: LeftOut): string {
  const schemas = `to_jsonb(pg_catalog.current_setting('${SAVED_SCHEMAS}')::text[])`;
  return `SELECT pg_catalog.set_config('${SAVED_SCHEMAS}', pg_catalog.current_schemas(false)::text, true),
                 pg_catalog.set_config('${SAVED_PATH}', pg_catalog.current_setting('search_path'), true);
     SET LOCAL search_path = pg_catalog, pg_temp;
     CREATE TABLE IF NOT EXISTS ${table} (
       id boolean PRIMARY KEY DEFAULT true CHECK (id),
       schemas jsonb NOT NULL,
       objects jsonb NOT NULL,
       recorded_at timestamptz NOT NULL DEFAULT now()
     );
     INSERT INTO ${table} (schemas, objects) SELECT ${schemas}, (${objectsSql(client, schemas, leftOut)})
     ON CONFLICT (id) DO UPDATE SET schemas = excluded.schemas, objects = excluded.objects, recorded_at = excluded.recorded_at;
     SELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('${SAVED_PATH}'), true)`;
}

/** Records the schema as it is now (recordFingerprintSql), in a transaction of its own. */
export async function recordFingerprint(client: pg.Client, table: string, leftOut: LeftOut): Promise<void> {
  await inTransaction(client, () => client.query(recordFingerprintSql(client, table, leftOut)));
}

/** Whether a fingerprint was ever recorded here: the table is made by the statement that writes its row. */
export async function hasFingerprint(client: pg.Client, table: string): Promise<boolean> {
  const { rows } = await client.query<{ recorded: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS recorded`, [table]);
  return rows[0].recorded;
}

/**
 * The live catalog against the last record, compared on the server: only the differences come
 * back. Undefined when nothing is recorded yet (no baseline). Writes nothing.
 */
export async function compareWithFingerprint(client: pg.Client, table: string, leftOut: LeftOut): Promise<Difference[] | undefined> {
  if (!(await hasFingerprint(client, table))) return undefined;
  const last = `(SELECT schemas FROM ${table})`;
  const found = await qualified<{ object: string; state: Difference['state'] } | { object: null; state: null }>(
    client,
    `WITH recorded AS (SELECT key, value FROM ${table}, jsonb_each_text(objects)),
          live AS (SELECT key, value FROM jsonb_each_text((${objectsSql(client, last, leftOut)})))
     SELECT coalesce(live.key, recorded.key) AS object,
            CASE WHEN live.key IS NULL THEN 'missing' WHEN recorded.key IS NULL THEN 'not in any migration' ELSE 'changed' END AS state
       FROM live FULL JOIN recorded USING (key)
      WHERE live.value IS DISTINCT FROM recorded.value
     UNION ALL SELECT NULL, NULL WHERE NOT EXISTS (SELECT FROM ${table})
      ORDER BY 1`,
  );
  if (found.length === 1 && found[0].object === null) return undefined;
  return found.filter((row): row is Difference => row.object !== null);
}
