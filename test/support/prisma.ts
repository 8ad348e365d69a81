/**
 * A database as Prisma Migrate leaves it: its table created with the DDL its PostgreSQL connector
 * sends, and each migration folder applied as `prisma migrate deploy` applies it, with the row
 * written the way its migration persistence writes it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from './database';

/**
 * Copied from prisma-engines, schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs
 * (create_migrations_table).
 */
export const PRISMA_MIGRATIONS_TABLE = `
CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

/** prisma-engines, schema-engine/connectors/schema-connector/src/checksum.rs: sha256 of the script, hex. */
export function prismaChecksum(script: string): string {
  return createHash('sha256').update(script).digest('hex');
}

/** The migration folders, in the order Prisma lists them (packages/migrate/src/utils/listMigrations.ts). */
export function prismaFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * `prisma migrate deploy`: refuses (P3009) while a run failed; otherwise each folder not yet
 * applied, in order: its row inserted (record_migration_started), the script sent as one query
 * (PostgreSQL runs it as one transaction), then applied_steps_count and finished_at set, or on an
 * error only logs (record_failed_step), and deploy stops there. upTo: the last folder to apply.
 * Resolves with the folder that failed, if one did.
 */
export async function prismaMigrateDeploy(db: TestDatabase, dir: string, upTo?: string): Promise<string | undefined> {
  await db.query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`).then(async ([row]) => {
    if (!(row as { present: boolean }).present) await db.query(PRISMA_MIGRATIONS_TABLE);
  });
  const rows = await db.query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
    'SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM _prisma_migrations',
  );
  const failed = rows.find((row) => !row.finished && !row.rolled_back);
  if (failed) throw new Error(`P3009: migrate found failed migrations in the target database (${failed.migration_name})`);
  const applied = new Set(rows.filter((row) => row.finished && !row.rolled_back).map((row) => row.migration_name));
  for (const name of prismaFolders(dir)) {
    if (applied.has(name)) continue;
    const script = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
    const id = randomUUID();
    await db.query('INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)', [
      id,
      prismaChecksum(script),
      name,
    ]);
    try {
      await db.query(script);
    } catch (error) {
      await db.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, `Database error:\n${(error as Error).message}`]);
      return name;
    }
    await db.query('UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1, finished_at = now() WHERE id = $1', [id]);
    if (name === upTo) break;
  }
  return undefined;
}

/** `prisma migrate resolve --rolled-back <name>`: the failed run's row gets rolled_back_at. */
export async function prismaResolveRolledBack(db: TestDatabase, name: string): Promise<void> {
  await db.query(
    'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL',
    [name],
  );
}
