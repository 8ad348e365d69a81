/** Reading another tool's history table: only SELECTs, and a clear refusal when it is not there. */
import type pg from 'pg';
import { ValidationError } from '../errors';

/** The table's columns, or a ValidationError naming the tool when the search_path finds no such table. */
export async function columnsOf(client: pg.Client, table: string, tool: string): Promise<string[]> {
  const { rows } = await client.query<{ columns: string[] | null }>(
    `SELECT (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [table],
  );
  const columns = rows[0].columns;
  if (columns === null) {
    throw new ValidationError(
      `there is no table ${table} on the search_path: this database has no ${tool} history (is it the database ${tool} migrated, with the schema it used?)`,
    );
  }
  return columns;
}
