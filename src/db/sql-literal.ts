/** Values written into SQL of ours as literals, escaped by node-postgres (a NULL stays NULL). */
import type pg from 'pg';

/** `ARRAY['a', NULL, ...]::text[]`; an empty list is an empty array. */
export function textArraySql(client: pg.Client, values: Array<string | null>): string {
  return `ARRAY[${values.map((value) => (value === null ? 'NULL' : client.escapeLiteral(value))).join(', ')}]::text[]`;
}
