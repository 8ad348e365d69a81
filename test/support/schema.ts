/** A comparable picture of a database's schema and history, from the catalog. */
import { catalogFingerprint } from '../../src/converge/catalog-fingerprint';
import type { TestDatabase } from './database';

export async function schemaSnapshot(db: TestDatabase): Promise<unknown> {
  const [columns, indexes, constraints, history] = await Promise.all([
    db.query(
      `SELECT table_schema, table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,
              is_nullable, column_default, collation_name, is_identity, identity_generation, is_generated, generation_expression
         FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2, 3`,
    ),
    db.query(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1, 2, 3`),
    db.query(
      `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
    ),
    db
      .query(`SELECT to_regclass('migrations') IS NOT NULL AS has_history`)
      .then(async ([row]) =>
        (row as { has_history: boolean }).has_history ? db.query('SELECT id, name, hash, executed_at FROM migrations ORDER BY id') : [],
      ),
  ]);
  return { columns, indexes, constraints, history };
}

/** Changes whenever anything writes to the catalog (see src/converge/catalog-fingerprint.ts). */
export async function catalogFingerprintOf(db: TestDatabase): Promise<string> {
  const client = await db.connect();
  try {
    return await catalogFingerprint(client);
  } finally {
    await client.end();
  }
}
