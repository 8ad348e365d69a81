/**
 * Whether anything touched the catalog between two moments: every change to a catalog row (even
 * one that ends where it began, like dropping and re-creating an index) writes a new row version
 * with a new xmin and ctid. VACUUM and ANALYZE update pg_class in place, which changes neither.
 */
import type pg from 'pg';

const CATALOGS = [
  'pg_namespace',
  'pg_class',
  'pg_attribute',
  'pg_attrdef',
  'pg_constraint',
  'pg_index',
  'pg_type',
  'pg_enum',
  'pg_proc',
  'pg_trigger',
  'pg_sequence',
  'pg_depend',
  'pg_description',
  'pg_policy',
  'pg_rewrite',
  'pg_extension',
  'pg_inherits',
];

const FINGERPRINT_SQL = `SELECT md5(string_agg(version, ',' ORDER BY version)) AS fingerprint FROM (
  ${CATALOGS.map((catalog) => `SELECT '${catalog}' || ctid::text || xmin::text AS version FROM pg_catalog.${catalog}`).join('\n  UNION ALL ')}
) AS versions`;

export async function catalogFingerprint(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ fingerprint: string }>(FINGERPRINT_SQL);
  return rows[0].fingerprint;
}
