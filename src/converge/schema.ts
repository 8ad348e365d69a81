/**
 * A database's schema as comparable facts, read from the catalog by @pgkit/schemainspect (a port of
 * migra's schemainspect): tables, columns (type, NOT NULL, default, identity, generation,
 * collation), constraints, indexes, enums, sequences, views, functions, triggers, extensions,
 * domains, composite types, collations, row-level security policies. Privileges and owners are
 * left out (dumps carry none), and so is column order (the legacy phase appends the columns it adds).
 */
import type pg from 'pg';
import { requireOptional } from '../optional-module';

export type SchemaInspect = typeof import('@pgkit/schemainspect');
type Inspected = Awaited<ReturnType<SchemaInspect['PostgreSQL']['create']>>;

/** Facts per object, keyed by a label such as "column public.notes.status"; each fact reads like SQL. */
export type SchemaFacts = Map<string, Record<string, string>>;

/** Kinds compared by their whole CREATE statement. */
const BY_DEFINITION = {
  views: 'view',
  materialized_views: 'materialized view',
  functions: 'function',
  extensions: 'extension',
  domains: 'domain',
  composite_types: 'type',
  collations: 'collation',
  schemas: 'schema',
} as const;

/** Loads schemainspect, or explains that a production install lacks it. Call before any work. */
export function loadSchemaInspect(command: string): SchemaInspect {
  return requireOptional<SchemaInspect>('@pgkit/schemainspect', command);
}

/**
 * schemainspect reads through two methods of @pgkit/client's Queryable: these run them on our own
 * connection, so that the settings (TLS, timeouts) are the same as every other command's.
 */
function queryable(client: pg.Client): Parameters<SchemaInspect['PostgreSQL']['create']>[0] {
  const rows = async (query: { sql: string; values: unknown[] }) => (await client.query(query.sql, query.values)).rows;
  const adapter = {
    any: rows,
    oneFirst: async (query: { sql: string; values: unknown[] }) => Object.values((await rows(query))[0])[0],
  };
  return adapter as unknown as Parameters<SchemaInspect['PostgreSQL']['create']>[0];
}

/** An identifier as PostgreSQL would print it: quoted only when it has to be. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** ignoreTables entries: "table" matches that table in any schema, "schema.table" only there. */
function ignoredTable(ignoreTables: string[]): (schema: string, table: string | null | undefined) => boolean {
  return (schema, table) => table != null && (ignoreTables.includes(table) || ignoreTables.includes(`${schema}.${table}`));
}

/** schemainspect's view of a database (what migra diffs). */
export function inspect(schemainspect: SchemaInspect, client: pg.Client): Promise<Inspected> {
  return schemainspect.PostgreSQL.create(queryable(client));
}

export async function describeSchema(schemainspect: SchemaInspect, client: pg.Client, ignoreTables: string[]): Promise<SchemaFacts> {
  const inspected: Inspected = await inspect(schemainspect, client);
  const ignored = ignoredTable(ignoreTables);
  const facts: SchemaFacts = new Map();
  const name = (schema: string, object: string) => `${ident(schema)}.${ident(object)}`;

  for (const table of Object.values(inspected.tables)) {
    if (ignored(table.schema, table.name)) continue;
    const tableName = name(table.schema, table.name);
    facts.set(`table ${tableName}`, {
      persistence: table.persistence === 'u' ? 'UNLOGGED' : 'LOGGED',
      ...(table.rowsecurity && { 'row security': 'ENABLE ROW LEVEL SECURITY' }),
      ...(table.partition_def && { partitioning: `PARTITION BY ${table.partition_def}` }),
      ...(table.parent_table && { parent: `PARTITION OF ${table.parent_table}` }),
    });
    for (const column of Object.values(table.columns)) {
      facts.set(`column ${tableName}.${ident(column.name)}`, {
        type: column.dbtypestr ?? String(column.dbtype),
        nullability: column.not_null ? 'NOT NULL' : 'NULL',
        ...(column.default != null && !column.is_generated && { default: `DEFAULT ${column.default}` }),
        ...(column.is_generated && { generated: `GENERATED ALWAYS AS (${column.default})` }),
        ...(column.is_identity && { identity: `GENERATED ${column.is_identity_always ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY` }),
        ...(column.collation && { collation: `COLLATE ${column.collation}` }),
      });
    }
  }
  for (const constraint of Object.values(inspected.constraints)) {
    if (ignored(constraint.schema, constraint.table_name)) continue;
    // pg_get_constraintdef(): columns, references, DEFERRABLE and NOT VALID included.
    facts.set(`constraint ${ident(constraint.name)} on ${name(constraint.schema, constraint.table_name)}`, {
      definition: constraint.definition,
    });
  }
  for (const index of Object.values(inspected.indexes)) {
    if (ignored(index.schema, index.table_name)) continue;
    facts.set(`index ${name(index.schema, index.name)}`, { definition: index.create_statement });
  }
  for (const trigger of Object.values(inspected.triggers)) {
    if (ignored(trigger.schema, trigger.table_name)) continue;
    facts.set(`trigger ${ident(trigger.name)} on ${name(trigger.schema, trigger.table_name)}`, { definition: trigger.full_definition });
  }
  for (const policy of Object.values(inspected.rlspolicies)) {
    if (ignored(policy.schema, policy.table_name)) continue;
    facts.set(`policy ${ident(policy.name)} on ${name(policy.schema, policy.table_name)}`, { definition: policy.create_statement });
  }
  for (const sequence of Object.values(inspected.sequences)) {
    if (ignored(sequence.schema, sequence.table_name)) continue;
    facts.set(`sequence ${name(sequence.schema, sequence.name)}`, {
      ...(sequence.table_name && {
        'owned by': `OWNED BY ${name(sequence.schema, sequence.table_name)}.${ident(sequence.column_name ?? '')}`,
      }),
    });
  }
  for (const type of Object.values(inspected.enums)) {
    facts.set(`enum ${name(type.schema, type.name)}`, {
      values: `ENUM (${type.elements.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ')})`,
    });
  }
  for (const [kind, label] of Object.entries(BY_DEFINITION)) {
    for (const object of Object.values(inspected[kind as keyof typeof BY_DEFINITION])) {
      facts.set(`${label} ${object.signature}`, { definition: object.create_statement });
    }
  }
  return facts;
}
