/**
 * Indexes that versioned files without a transaction build CONCURRENTLY. A build that fails or
 * is interrupted (a stop, a kill, a lost connection) leaves its index behind, marked INVALID: it
 * is not used for queries (and a unique one still rejects duplicates), and CREATE INDEX
 * CONCURRENTLY IF NOT EXISTS then skips it, for ever. So the versioned phase drops such an index
 * before the file that builds it runs, checks after the file that it left none before its history
 * row is written, and plans a rebuild of any an applied file left.
 */
import type pg from 'pg';
import { concurrentBuildPlace, concurrentIndex, splitStatements, type BuildPlace } from '../source/statements';

export interface BuiltIndex {
  index: string;
  schema?: string;
  table?: string;
  /** The CREATE INDEX CONCURRENTLY statement, as written in the file. */
  statement: string;
}

export interface InvalidIndex extends BuiltIndex {
  /** schema.index, quoted where needed. */
  qualified: string;
}

/** The named indexes a file's statements build CONCURRENTLY. */
export function indexesBuiltBy(sql: string): BuiltIndex[] {
  return splitStatements(sql).flatMap((statement) => {
    const built = concurrentIndex(statement);
    return built ? [{ ...built, statement: sql.slice(statement.offset, statement.end) }] : [];
  });
}

/** SQL for the relation that `schema` (text, NULL for the search path) and `name` name, or NULL. */
const regclassSql = (schema: string, name: string) =>
  `to_regclass(CASE WHEN ${schema} IS NULL THEN quote_ident(${name}) ELSE quote_ident(${schema}) || '.' || quote_ident(${name}) END)`;

/** Those of `built` that exist and are INVALID; an index is matched by its name and, when the statement names it, its table. */
export async function invalidAmong<T extends BuiltIndex>(client: pg.Client, built: T[]): Promise<Array<T & InvalidIndex>> {
  if (built.length === 0) return [];
  const { rows } = await client.query<{ n: string; qualified: string }>(
    `SELECT w.n, format('%I.%I', ns.nspname, c.relname) AS qualified
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS w(idx, sch, tbl, n)
       JOIN pg_class c ON c.relname = w.idx AND c.relkind = 'i'
       JOIN pg_index i ON i.indexrelid = c.oid AND NOT i.indisvalid
       JOIN pg_namespace ns ON ns.oid = c.relnamespace
      WHERE w.tbl IS NULL
         OR i.indrelid = ${regclassSql('w.sch', 'w.tbl')}
      ORDER BY w.n`,
    [built.map((b) => b.index), built.map((b) => b.schema ?? null), built.map((b) => b.table ?? null)],
  );
  return rows.map((row) => ({ ...built[Number(row.n) - 1], qualified: row.qualified }));
}

/** Where a file's statements build indexes CONCURRENTLY, named or not. */
export function buildPlacesOf(sql: string): BuildPlace[] {
  return splitStatements(sql).flatMap((statement) => concurrentBuildPlace(statement) ?? []);
}

/**
 * The INVALID indexes, schema-qualified, in the schemas of `places`: what a step left is what
 * appears there while it runs. Only there, because other sessions build indexes too, in other
 * schemas of the database: a fleet's other tenants above all, whose builds are INVALID until they
 * end, and stay so when they fail. A relation the search path does not find widens the look to
 * every schema, so that no index the step left is missed.
 */
export async function invalidIndexes(client: pg.Client, places: BuildPlace[]): Promise<string[]> {
  if (places.length === 0) return [];
  const schemas = places.flatMap((place) => (place !== 'database' && 'schema' in place ? [place.schema] : []));
  const relations = places.flatMap((place) => (place !== 'database' && 'relation' in place ? [place.relation] : []));
  const { rows } = await client.query<{ index: string }>(
    `WITH place AS (
       SELECT to_regnamespace(quote_ident(s)) AS ns FROM unnest($2::text[]) AS s
       UNION ALL
       SELECT (SELECT c.relnamespace FROM pg_class c
                WHERE c.oid = ${regclassSql('r.sch', 'r.rel')})
         FROM unnest($3::text[], $4::text[]) AS r(sch, rel))
     SELECT i.indexrelid::regclass::text AS index
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE NOT i.indisvalid
        AND ($1 OR EXISTS (SELECT FROM place WHERE ns IS NULL) OR c.relnamespace IN (SELECT ns FROM place))
      ORDER BY 1`,
    [
      places.includes('database'),
      schemas,
      relations.map((relation) => relation.schema ?? null),
      relations.map((relation) => relation.name),
    ],
  );
  return rows.map((row) => row.index);
}
