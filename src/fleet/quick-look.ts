/**
 * A fleet's fast path for a schema target: one query, on a connection the worker keeps from target
 * to target, that tells a tenant where nothing is to be done from one that needs the full run.
 * Current means: its history records exactly these versioned files (ids and hashes, none newer),
 * or all but a tail of post-deploy ones that a plain run leaves waiting (the rule of results.ts's
 * whyNotCurrent), `up` completed there with exactly these legacy scripts and table files (the record
 * the declared-columns phase leaves, which an app's gate trusts too), every declared table exists,
 * no declared column is missing and no index a versioned file builds CONCURRENTLY is INVALID there
 * (the versioned phase would rebuild it), and the repeatable phase's record holds exactly these
 * repeatable files and checksums (one changed, added or removed is work), and `up` has recorded the
 * schema for drift detection (a tenant from before it gets the full run once). Anything else, including any
 * error (no history table yet), is "not known": the target gets the full pipeline, which decides.
 */
import type pg from 'pg';
import { DECLARED_COLUMNS_TABLE, FINGERPRINT_TABLE, HISTORY_TABLE, REPEATABLE_TABLE } from '../db/own-tables';
import { textArraySql } from '../db/sql-literal';
import { digestOf, historyDigestSql } from '../history';
import { shapeRecordKey } from '../phases/declared-columns';
import { indexesBuiltBy } from '../phases/concurrent-indexes';
import { repeatableChecksum } from '../phases/repeatable';
import { declaredTable } from '../phases/tables';
import type { MigrationSet } from '../source';

export interface QuickLook {
  /** Highest applied id. */
  version: number;
  current: boolean;
}

/** The files' side of the comparison, computed once for every target. */
export interface Expected {
  /** For each history length that counts as current, the digest (digestOf) of that many files. */
  histories: Map<number, string>;
  /** undefined: no legacy scripts or table files, so up records nothing. */
  recordKey?: string;
  /** Declared tables: schema (null: the target's) and name. */
  tableSchemas: Array<string | null>;
  tableNames: string[];
  /** Indexes versioned files without a transaction build CONCURRENTLY: an INVALID one is work. */
  concurrentIndexes: string[];
  /** "name checksum" of every repeatable file, sorted: what the repeatable phase's record must hold. */
  repeatable: string[];
  /** A .js file a read-only command did not run has no hash: such a fleet always takes the full run. */
  comparable: boolean;
}

/** `postDeploy`: the run applies post-deploy migrations too, so only the whole history is current. */
export function expectedOf(files: MigrationSet, { postDeploy }: { postDeploy: boolean }): Expected {
  const declared = files.tables.map(declaredTable);
  const { versioned } = files;
  let shortest = versioned.length;
  if (!postDeploy) while (shortest > 0 && versioned[shortest - 1].postDeploy) shortest -= 1;
  const histories = new Map<number, string>();
  for (let count = shortest; count <= versioned.length; count += 1) histories.set(count, digestOf(versioned.slice(0, count)));
  return {
    histories,
    recordKey: shapeRecordKey(files),
    tableSchemas: declared.map((table) => table.schema ?? null),
    tableNames: declared.map((table) => table.table),
    concurrentIndexes: files.versioned
      .filter((file) => !file.deferred && !file.inTransaction)
      .flatMap((file) => indexesBuiltBy(file.sql).map((built) => built.index)),
    repeatable: files.repeatable.map((file) => `${file.name} ${repeatableChecksum(file)}`).sort(),
    comparable: files.versioned.every((file) => !file.deferred),
  };
}

/*
 * Every catalog read below is a lookup by key (to_regclass, an oid, a name in one namespace), never
 * a scan of pg_class or pg_namespace: those grow with the fleet, so a scan per tenant would make
 * the fleet's quick looks grow with the square of its size. The scalar subqueries keep the planner
 * from turning the lookups into hash joins over the whole catalog.
 *
 * The values are written into the text as escaped literals, not sent as parameters: the text
 * differs per tenant anyway (its tables' names), and bound parameters make PostgreSQL's planning of
 * it for each new tenant markedly slower (docs/performance.md).
 */
const quickLookSql = (client: pg.Client, schema: string, expected: Expected) => {
  const own = (table: string) => `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
  const literal = (value: string) => client.escapeLiteral(value);
  const cache = own(DECLARED_COLUMNS_TABLE);
  const record =
    expected.recordKey === undefined ? undefined : `(SELECT columns FROM ${cache} WHERE tables_hash = ${literal(expected.recordKey)})`;
  const relation = (schemaSql: string, tableSql: string) => `to_regclass(quote_ident(${schemaSql}) || '.' || quote_ident(${tableSql}))`;
  // Without repeatable files the record is not read (a tenant that never ran one has no table).
  // With them, a tenant without the table fails the query: not known, so the full run.
  return `
SELECT h.count, h.digest, h.version,
       ${expected.repeatable.length > 0 ? `(SELECT coalesce(array_agg(name || ' ' || checksum), '{}') FROM ${own(REPEATABLE_TABLE)})` : `'{}'::text[]`} AS repeatable,
       ${record ? `${record} IS NOT NULL` : 'true'} AS recorded,
       (SELECT count(*) FROM unnest(${textArraySql(client, expected.tableSchemas)}, ${textArraySql(client, expected.tableNames)}) AS d(sch, tbl)
         WHERE ${relation(`coalesce(d.sch, ${literal(schema)})`, 'd.tbl')} IS NULL)::int AS "missingTables",
       ${
         record
           ? `(SELECT count(*) FROM jsonb_to_recordset(${record}) AS d("table" text, "column" text)
             CROSS JOIN LATERAL (SELECT ${relation(literal(schema), 'd."table"')} AS oid) t
           WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = d."column" AND a.attnum > 0 AND NOT a.attisdropped)
             AND (SELECT relkind FROM pg_class c WHERE c.oid = t.oid) IN ('r', 'p'))::int`
           : '0'
       } AS "missingColumns",
       to_regclass(${literal(own(FINGERPRINT_TABLE))}) IS NOT NULL AS "driftRecorded",
       ${
         // Files that build no index CONCURRENTLY leave nothing to look up.
         expected.concurrentIndexes.length > 0
           ? `EXISTS (SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
                WHERE c.relname = ANY (${textArraySql(client, expected.concurrentIndexes)}) AND NOT i.indisvalid AND c.relnamespace = to_regnamespace(${literal(schema)}))`
           : 'false'
       } AS "invalidIndexes"
  FROM (${historyDigestSql(own(HISTORY_TABLE))}) h`;
};

/** Undefined when the target is not known to be current in one query; the caller then runs the full pipeline. */
export async function quickLook(client: pg.Client, schema: string, expected: Expected): Promise<QuickLook | undefined> {
  if (!expected.comparable) return undefined;
  let row: {
    count: number;
    digest: string;
    version: number | null;
    recorded: boolean;
    missingTables: number;
    missingColumns: number;
    invalidIndexes: boolean;
    driftRecorded: boolean;
    repeatable: string[];
  };
  try {
    ({
      rows: [row],
    } = await client.query(quickLookSql(client, schema, expected)));
  } catch {
    return undefined;
  }
  const current =
    expected.histories.get(row.count) === row.digest &&
    row.recorded &&
    row.missingTables === 0 &&
    row.missingColumns === 0 &&
    !row.invalidIndexes &&
    row.driftRecorded &&
    row.repeatable.sort().join('\n') === expected.repeatable.join('\n');
  return { version: row.version ?? 0, current };
}
