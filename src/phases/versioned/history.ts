/**
 * Reading the versioned history. postgres-migrations decides that its table exists by looking for
 * any ordinary table named `migrations` in any schema, then reads whichever one the search_path
 * finds. A table of that name in another schema, or an application table of that name, would fool
 * it; we check first and refuse with a clear message instead.
 */
import type pg from 'pg';
import { ValidationError } from '../../errors';
import type { AppliedMigration } from '../../results';
import { HISTORY_TABLE } from './library';

interface HistoryCatalog {
  visible: string | null;
  visibleKind: string | null;
  columns: string[] | null;
  schemasWithTable: string[];
}

const REQUIRED_COLUMNS = ['id', 'name', 'hash'];

export async function readHistory(client: pg.Client): Promise<AppliedMigration[]> {
  const { rows } = await client.query<HistoryCatalog>(
    `SELECT to_regclass($1)::text AS visible,
            (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)) AS "visibleKind",
            (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns,
            ARRAY(SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relname = $1 AND c.relkind = 'r' ORDER BY 1) AS "schemasWithTable"`,
    [HISTORY_TABLE],
  );
  const catalog = rows[0];
  if (catalog.visible === null) {
    if (catalog.schemasWithTable.length === 0) return [];
    throw new ValidationError(
      `a table named "${HISTORY_TABLE}" exists in schema ${catalog.schemasWithTable.join(', ')} but not on the search_path; ` +
        `postgres-migrations would take it for its history table. Rename that table, or put its schema on the search_path if it is the history`,
    );
  }
  if (catalog.visibleKind !== 'r') {
    throw new ValidationError(
      `"${catalog.visible}" is not an ordinary table (relkind ${catalog.visibleKind}), but postgres-migrations keeps its history in a table of that name; rename it`,
    );
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !catalog.columns?.includes(column));
  if (missing.length > 0) {
    throw new ValidationError(
      `table "${catalog.visible}" is not a postgres-migrations history table (it lacks ${missing.join(', ')}); ` +
        `an application table must not be called "${HISTORY_TABLE}": rename it`,
    );
  }
  const history = await client.query<AppliedMigration>(
    `SELECT id, name, hash, ${catalog.columns?.includes('executed_at') ? 'executed_at' : 'NULL'} AS "executedAt"
       FROM ${HISTORY_TABLE} ORDER BY id`,
  );
  return history.rows;
}
