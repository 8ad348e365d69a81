/**
 * Databases as golang-migrate, dbmate, Flyway and Alembic leave them: each tool's migrations run in
 * its order, and its history table created and written with the statements the tool itself sends
 * (taken from each tool's PostgreSQL driver), so that adopting is tested against what they write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestDatabase } from './database';

/** golang-migrate's postgres driver: its table, and SetVersion (truncate and insert, in a transaction). */
export const GOLANG_MIGRATE_TABLE =
  'CREATE TABLE IF NOT EXISTS "schema_migrations" (version bigint not null primary key, dirty boolean not null)';

export async function golangMigrateSetVersion(db: TestDatabase, version: string, dirty: boolean): Promise<void> {
  await db.query(
    `BEGIN; TRUNCATE "schema_migrations"; INSERT INTO "schema_migrations" (version, dirty) VALUES (${version}, ${dirty}); COMMIT;`,
  );
}

/**
 * `migrate up [n]`: each .up.sql in version order, as one query without a transaction, with the
 * version set dirty before and clean after. failAt: the version whose file fails (left dirty).
 */
export async function golangMigrateUp(db: TestDatabase, dir: string, options: { steps?: number; failAt?: string } = {}): Promise<void> {
  await db.query(GOLANG_MIGRATE_TABLE);
  const ups = readdirSync(dir)
    .filter((name) => name.endsWith('.up.sql'))
    .sort((a, b) => (BigInt(a.split('_')[0]) < BigInt(b.split('_')[0]) ? -1 : 1))
    .slice(0, options.steps);
  for (const name of ups) {
    const version = BigInt(name.split('_')[0]).toString();
    await golangMigrateSetVersion(db, version, true);
    if (version === options.failAt) return;
    await db.query(readFileSync(path.join(dir, name), 'utf8'));
    await golangMigrateSetVersion(db, version, false);
  }
}

/** dbmate's postgres driver: its table (dbmate 2), and one row per applied version. */
export const DBMATE_TABLE = 'create table if not exists public.schema_migrations (version varchar(128) primary key)';

/**
 * `dbmate up`: each file's -- migrate:up section, in file order, in a transaction with its row
 * (without one for transaction:false). only: the versions to apply (default all).
 */
export async function dbmateUp(db: TestDatabase, dir: string, only?: string[]): Promise<void> {
  await db.query(DBMATE_TABLE);
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()) {
    const version = /^\d+/.exec(name)![0];
    if (only && !only.includes(version)) continue;
    const text = readFileSync(path.join(dir, name), 'utf8');
    const up = text.slice(text.indexOf('\n', text.indexOf('-- migrate:up')) + 1, text.indexOf('-- migrate:down'));
    const insert = `insert into public.schema_migrations (version) values ('${version}')`;
    if (/-- migrate:up transaction:false/.test(text)) await db.query(`${up}`).then(() => db.query(insert));
    else await db.query(`BEGIN; ${up}; ${insert}; COMMIT;`);
  }
}

/** Flyway's createMetaDataTable.sql for PostgreSQL. */
export const FLYWAY_TABLE = `CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");`;

export interface FlywayRow {
  version: string | null;
  description: string;
  type: string;
  script: string;
  success: boolean;
}

/** One row as Flyway's JdbcTableSchemaHistory inserts it. */
export async function flywayRecord(db: TestDatabase, row: FlywayRow): Promise<void> {
  await db.query(
    `INSERT INTO "public"."flyway_schema_history" ("installed_rank", "version", "description", "type", "script", "checksum", "installed_by", "execution_time", "success")
     SELECT coalesce(max(installed_rank), 0) + 1, $1, $2, $3, $4, $5, current_user, 12, $6 FROM "public"."flyway_schema_history"`,
    [row.version, row.description, row.type, row.script, row.type === 'SQL' ? 123456789 : null, row.success],
  );
}

/**
 * `flyway migrate`: each V file in version order, in a transaction with its row. failAt: the
 * script that fails outside a transaction (executeInTransaction=false), which Flyway records with
 * success false; one that fails in a transaction rolls back with its row.
 */
export async function flywayMigrate(db: TestDatabase, dir: string, options: { failAt?: string; steps?: number } = {}): Promise<void> {
  await db.query(FLYWAY_TABLE);
  const versionOf = (name: string) => /^V([\d._]+)__/.exec(name)![1].split(/[._]/).map(Number);
  const scripts = readdirSync(dir)
    .filter((name) => name.startsWith('V'))
    .sort((a, b) => {
      const [left, right] = [versionOf(a), versionOf(b)];
      for (let at = 0; at < Math.max(left.length, right.length); at++)
        if ((left[at] ?? 0) !== (right[at] ?? 0)) return (left[at] ?? 0) - (right[at] ?? 0);
      return 0;
    })
    .slice(0, options.steps);
  for (const script of scripts) {
    const [, version, description] = /^V([\d._]+)__(.+)\.sql$/.exec(script)!;
    const row = { version: version.replace(/_/g, '.'), description: description.replace(/_/g, ' '), type: 'SQL', script };
    if (script === options.failAt) {
      await flywayRecord(db, { ...row, success: false });
      return;
    }
    await db.query(`BEGIN; ${readFileSync(path.join(dir, script), 'utf8')}; COMMIT;`);
    await flywayRecord(db, { ...row, success: true });
  }
}

/** `alembic upgrade head --sql` run through psql: the offline script, alembic_version included. */
export async function alembicUpgrade(db: TestDatabase, offlineScript: string): Promise<void> {
  await db.query(readFileSync(offlineScript, 'utf8'));
}
