/**
 * A fleet's fast path for a schema target: one query, on a connection the worker keeps from target
 * to target, that tells a tenant where nothing is to be done from one that needs the full run.
 * Current means: its history records exactly these versioned files (ids and hashes, none pending,
 * none newer), `up` completed there with exactly these legacy scripts and table files (the record
 * the declared-columns phase leaves, which an app's gate trusts too), every declared table exists,
 * no declared column is missing and no index a versioned file builds CONCURRENTLY is INVALID there
 * (the versioned phase would rebuild it), and the repeatable phase's record holds exactly these
 * repeatable files and checksums (one changed, added or removed is work), and `up` has recorded the
 * schema for drift detection (a tenant from before it gets the full run once). Anything else, including any
 * error (no history table yet), is "not known": the target gets the full pipeline, which decides.
 */
import type pg from 'pg';
import { DECLARED_COLUMNS_TABLE, FINGERPRINT_TABLE, HISTORY_TABLE, REPEATABLE_TABLE } from '../db/own-tables';
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
  count: number;
  digest: string;
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

export function expectedOf(files: MigrationSet): Expected {
  const declared = files.tables.map(declaredTable);
  return {
    count: files.versioned.length,
    digest: digestOf(files.versioned),
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

const quickLookSql = (client: pg.Client, schema: string, recorded: boolean, repeatable: boolean) => {
  const own = (table: string) => `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
  const cache = own(DECLARED_COLUMNS_TABLE);
  // Without repeatable files the record is not read (a tenant that never ran one has no table).
  // With them, a tenant without the table fails the query: not known, so the full run.
  return `
SELECT h.count, h.digest, h.version,
       ${repeatable ? `(SELECT coalesce(array_agg(name || ' ' || checksum), '{}') FROM ${own(REPEATABLE_TABLE)})` : `'{}'::text[]`} AS repeatable,
       ${recorded ? `EXISTS (SELECT 1 FROM ${cache} WHERE tables_hash = $1)` : '$1::text IS NULL'} AS recorded,
       (SELECT count(*) FROM unnest($2::text[], $3::text[]) AS d(sch, tbl)
         WHERE to_regclass(quote_ident(coalesce(d.sch, $4)) || '.' || quote_ident(d.tbl)) IS NULL)::int AS "missingTables",
       ${
         recorded
           ? `(SELECT count(*) FROM jsonb_to_recordset((SELECT columns FROM ${cache} WHERE tables_hash = $1)) AS d("table" text, "column" text)
            JOIN pg_class t ON t.oid = to_regclass(quote_ident($4) || '.' || quote_ident(d."table")) AND t.relkind IN ('r', 'p')
           WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = d."column" AND a.attnum > 0 AND NOT a.attisdropped))::int`
           : '0'
       } AS "missingColumns",
       to_regclass(${client.escapeLiteral(own(FINGERPRINT_TABLE))}) IS NOT NULL AS "driftRecorded",
       EXISTS (SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
                WHERE c.relname = ANY ($5::text[]) AND NOT i.indisvalid
                  AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $4)) AS "invalidIndexes"
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
    } = await client.query(quickLookSql(client, schema, expected.recordKey !== undefined, expected.repeatable.length > 0), [
      expected.recordKey ?? null,
      expected.tableSchemas,
      expected.tableNames,
      schema,
      expected.concurrentIndexes,
    ]));
  } catch {
    return undefined;
  }
  const current =
    row.count === expected.count &&
    row.digest === expected.digest &&
    row.recorded &&
    row.missingTables === 0 &&
    row.missingColumns === 0 &&
    !row.invalidIndexes &&
    row.driftRecorded &&
    row.repeatable.sort().join('\n') === expected.repeatable.join('\n');
  return { version: row.version ?? 0, current };
}
