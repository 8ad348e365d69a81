/** A comparable picture of a database's schema and history, from the catalog. */
import type { TestDatabase } from './database';

export async function schemaSnapshot(db: TestDatabase): Promise<unknown> {
  const [columns, indexes, constraints, history] = await Promise.all([
    db.query(
      `SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2, 3`,
    ),
    db.query(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2, 3`),
    db.query(
      `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    ),
    db.query(`SELECT to_regclass('migrations') IS NOT NULL AS has_history`).then(async ([row]) =>
      (row as { has_history: boolean }).has_history ? db.query('SELECT id, name, hash, executed_at FROM migrations ORDER BY id') : [],
    ),
  ]);
  return { columns, indexes, constraints, history };
}
