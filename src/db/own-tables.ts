/**
 * The migrator's own tables (the versioned history, the declared-columns cache, the repeatable record) and the schema
 * they are in, decided once per session by prepareSession's first query: the schema of the history
 * table the search_path finds when it exists, else the schema unqualified names are created in
 * (current_schema()) at connect. Every query of ours about these tables names them qualified with
 * it, so that nothing a script leaves in the session (a search_path, a temporary table of the same
 * name, which PostgreSQL looks for first) can move or hide them.
 */
import type pg from 'pg';

/** postgres-migrations' history table; its name cannot be configured. */
export const HISTORY_TABLE = 'migrations';
/** Our cache of declared shapes (phases/declared-columns.ts). */
export const DECLARED_COLUMNS_TABLE = 'migrator_declared_columns';
/** What the repeatable phase last ran: one row per file (phases/repeatable.ts). */
export const REPEATABLE_TABLE = 'migrator_repeatable';
/** The schema as the last `up` left it, for drift detection (drift/fingerprint.ts). */
export const FINGERPRINT_TABLE = 'migrator_schema_fingerprint';
/** Every table of ours, in the schema of ownSchema(). */
export const OWN_TABLES = [HISTORY_TABLE, DECLARED_COLUMNS_TABLE, REPEATABLE_TABLE, FINGERPRINT_TABLE];

/** The schema of our own tables, as a column of prepareSession's first query (NULL: no schema to create in). */
export const OWN_SCHEMA_SQL = `coalesce((SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                  WHERE c.oid = to_regclass('${HISTORY_TABLE}')), current_schema())`;

const ownSchemas = new WeakMap<pg.Client, string>();
/** Sessions confined to one schema (a tenant's): tables of ours in other schemas are other tenants'. */
const confined = new WeakSet<pg.Client>();

export function rememberOwnSchema(client: pg.Client, schema: string | null, options: { confined?: boolean } = {}): void {
  if (schema === null) ownSchemas.delete(client);
  else ownSchemas.set(client, schema);
  if (options.confined) confined.add(client);
  else confined.delete(client);
}

/** Whether the session works in one schema only (SessionOptions.schema): a tenant of `fleet`, `check --schema`. */
export function isConfined(client: pg.Client): boolean {
  return confined.has(client);
}

/** The schema of our own tables in this session; undefined when it has none (an empty search_path at connect). */
export function ownSchema(client: pg.Client): string | undefined {
  return ownSchemas.get(client);
}

/**
 * One of our own tables, quoted and qualified with the session's own schema. Unqualified only
 * when the session has no schema of its own: then, as before, nothing can be created unqualified
 * either, and the search_path decides where an existing one is read.
 */
export function ownTable(client: pg.Client, name: string): string {
  const schema = ownSchemas.get(client);
  return schema === undefined ? name : `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
}
