/**
 * A database as drizzle-orm's migrate() leaves it, in its two generations: its table created with
 * the DDL its PostgreSQL dialect sends, and the migrations read and applied as its migrator reads
 * and applies them (drizzle-orm's migrator.ts, pg-core's migrate()).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from './database';

/** Copied from drizzle-orm's pg-core dialect migrate(), before 1.0. */
export const DRIZZLE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
    id SERIAL PRIMARY KEY,
    hash text NOT NULL,
    created_at bigint
)`;

/** Copied from drizzle-orm 1.0's pg-core migrate() (a new database's table). */
export const DRIZZLE_V1_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (
    id SERIAL PRIMARY KEY,
    hash text NOT NULL,
    created_at bigint,
    name text,
    applied_at timestamp with time zone DEFAULT now()
)`;

interface DrizzleMigration {
  sql: string[];
  folderMillis: number;
  hash: string;
  name?: string;
}

/** drizzle's hash of a migration file: the sha256 of its text, hex. */
export function drizzleHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
  breakpoints: boolean;
}

export function drizzleJournal(dir: string): JournalEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] }).entries;
}

/** readMigrationFiles before 1.0: the journal's entries, each file split on its breakpoints. */
function journalMigrations(dir: string): DrizzleMigration[] {
  return drizzleJournal(dir).map((entry) => {
    const file = path.join(dir, `${entry.tag}.sql`);
    if (!existsSync(file)) throw new Error(`No file ${file} found in ${dir} folder`);
    const query = readFileSync(file).toString();
    return { sql: query.split('--> statement-breakpoint'), folderMillis: entry.when, hash: drizzleHash(query) };
  });
}

/** readMigrationFiles from 1.0: each folder with a migration.sql, by name; the time from its first 14 digits. */
function folderMigrations(dir: string): DrizzleMigration[] {
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, 'migration.sql')))
    .sort((a, b) => a.localeCompare(b))
    .map((name) => {
      const query = readFileSync(path.join(dir, name, 'migration.sql')).toString();
      const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((at) => Number(name.slice(at, at + (at === 0 ? 4 : 2))));
      return {
        sql: query.split('--> statement-breakpoint'),
        folderMillis: Date.UTC(year, month - 1, day, hour, minute, second),
        hash: drizzleHash(query),
        name,
      };
    });
}

/**
 * `migrate(db, { migrationsFolder })` before 1.0: the schema and table made if missing, then, in one
 * transaction, each entry whose when is after the newest row's created_at: its statements, then
 * its row. upTo: the last tag to apply.
 */
export async function drizzleMigrate(db: TestDatabase, dir: string, upTo?: string): Promise<void> {
  const migrations = journalMigrations(dir);
  const last = upTo === undefined ? migrations.length : drizzleJournal(dir).findIndex((entry) => entry.tag === upTo) + 1;
  const client = await db.connect();
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS "drizzle"');
    await client.query(DRIZZLE_MIGRATIONS_TABLE);
    const [newest] = (
      await client.query<{ created_at: string }>(
        'select id, hash, created_at from "drizzle"."__drizzle_migrations" order by created_at desc limit 1',
      )
    ).rows;
    await client.query('BEGIN');
    for (const migration of migrations.slice(0, last)) {
      if (newest && Number(newest.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) await client.query(statement);
      await client.query('insert into "drizzle"."__drizzle_migrations" ("hash", "created_at") values($1, $2)', [
        migration.hash,
        migration.folderMillis,
      ]);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/**
 * `migrate()` from 1.0 on a new database: the table with name and applied_at, then, in one
 * transaction, each folder no row names.
 */
export async function drizzleV1Migrate(db: TestDatabase, dir: string): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS "drizzle"');
    await client.query(DRIZZLE_V1_MIGRATIONS_TABLE);
    const named = new Set(
      (await client.query<{ name: string | null }>('select id, hash, created_at, name from "drizzle"."__drizzle_migrations"')).rows.map(
        (row) => row.name,
      ),
    );
    await client.query('BEGIN');
    for (const migration of folderMigrations(dir)) {
      if (named.has(migration.name!)) continue;
      for (const statement of migration.sql) await client.query(statement);
      await client.query('insert into "drizzle"."__drizzle_migrations" ("hash", "created_at", "name") values($1, $2, $3)', [
        migration.hash,
        migration.folderMillis,
        migration.name,
      ]);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
