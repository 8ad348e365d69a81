/**
 * A database as `node-pg-migrate up` leaves it: its table created with the DDL its runner sends,
 * and each migration applied as its runner applies it, in one transaction (singleTransaction, its
 * default): the SQL a migration builds, then its row. A .sql file's up section is its SQL; a
 * JavaScript file's exported up is called with a builder that collects what pgm.sql() is given
 * (the only builder method the fixtures use).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from './database';

/** Copied from node-pg-migrate's runner.ts (ensureMigrationsTable), with its default schema and table. */
export const PGMIGRATIONS_TABLE =
  'CREATE TABLE "public"."pgmigrations" (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)';

/** The migration files in node-pg-migrate's order (their numeric prefixes: the fixtures' are 13 digits). */
export function nodePgMigrateFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith('.'))
    .sort((a, b) => Number(/^\d+/.exec(a)![0]) - Number(/^\d+/.exec(b)![0]));
}

/** node-pg-migrate's sqlMigration: the up section, from its comment line to the down one. */
function upSql(text: string): string {
  const up = text.search(/^\s*--[\s-]*up\s+migration/im);
  const down = text.search(/^\s*--[\s-]*down\s+migration/im);
  return up >= 0 ? text.slice(up, down < up ? undefined : down) : text;
}

function stepsOf(dir: string, fileName: string): string[] {
  const file = path.join(dir, fileName);
  if (fileName.endsWith('.sql')) return [upSql(readFileSync(file, 'utf8'))];
  const steps: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require(file) as { up(pgm: { sql(text: string): void }): void }).up({ sql: (text) => steps.push(text) });
  return steps;
}

/** `node-pg-migrate up` [upTo: the last migration name to apply]. */
export async function nodePgMigrateUp(db: TestDatabase, dir: string, upTo?: string): Promise<void> {
  const client = await db.connect();
  try {
    const [present] = (await client.query<{ present: boolean }>("SELECT to_regclass('public.pgmigrations') IS NOT NULL AS present")).rows;
    if (!present.present) await client.query(PGMIGRATIONS_TABLE);
    const run = new Set(
      (await client.query<{ name: string }>('SELECT name FROM "public"."pgmigrations" ORDER BY run_on, id')).rows.map((row) => row.name),
    );
    await client.query('BEGIN');
    for (const fileName of nodePgMigrateFiles(dir)) {
      const name = path.basename(fileName, path.extname(fileName));
      if (run.has(name)) continue;
      for (const step of stepsOf(dir, fileName)) await client.query(step);
      await client.query(`INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('${name}', NOW());`);
      if (name === upTo) break;
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
