/** Reading another tool's history table: only SELECTs, and a clear refusal when it is not there. */
import type pg from 'pg';
import { ConfigError, ValidationError } from '../errors';

/**
 * A table named by --table: name or schema.name, in the lower-case letters, digits and _ that
 * PostgreSQL folds nothing of, so that the name goes into queries and messages as it is.
 */
const TABLE_NAME = /^[a-z_][a-z0-9_$]*(?:\.[a-z_][a-z0-9_$]*)?$/;

export function checkedTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new ConfigError(
      `--table takes the tool's history table as name or schema.name, in lower-case letters, digits and _ (got "${table}")`,
      '--table',
    );
  }
  return table;
}

/** The table's columns; undefined when the search_path finds no such table. */
export async function tableColumns(client: pg.Client, table: string): Promise<string[] | undefined> {
  const { rows } = await client.query<{ columns: string[] | null }>(
    `SELECT (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [table],
  );
  return rows[0].columns ?? undefined;
}

/** The table's columns, or a ValidationError naming the tool when the search_path finds no such table. */
export async function columnsOf(client: pg.Client, table: string, tool: string): Promise<string[]> {
  const columns = await tableColumns(client, table);
  if (columns === undefined) {
    throw new ValidationError(
      `there is no table ${table} on the search_path: this database has no ${tool} history (is it the database ${tool} migrated, with the schema it used?)`,
    );
  }
  return columns;
}

/** Refuses a table of that name that lacks the tool's columns: another tool (or the application) wrote it. */
export function requireColumns(table: string, tool: string, columns: string[], required: string[]): void {
  const missing = required.filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new ValidationError(
      `${table} has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}, so ${tool} did not write it (${tool}'s table has ${required.join(', ')}): ` +
        'name the table your configuration gives it with --table',
    );
  }
}
