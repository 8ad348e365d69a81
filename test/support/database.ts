/** Throwaway databases in the suite's PostgreSQL container, and a client to inspect them. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ConnectionSettings } from '../../src/config';
import { MIGRATION_LOCK_KEY } from '../../src/db/lock-key';
import { restoreDump } from '../../src/converge/restore';

export interface TestDatabase {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** postgres://user:password@host:port/name */
  url: string;
  /** Environment for the CLI: DATABASE_URL pointing at this database. */
  env: Record<string, string>;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<R[]>;
  /** A fresh connected client; the caller ends it. */
  connect(): Promise<pg.Client>;
  drop(): Promise<void>;
}

function server() {
  const host = process.env.TEST_PG_HOST;
  if (!host) throw new Error('TEST_PG_HOST is not set: run the tests through jest (globalSetup starts PostgreSQL)');
  return {
    host,
    port: Number(process.env.TEST_PG_PORT),
    user: process.env.TEST_PG_USER!,
    password: process.env.TEST_PG_PASSWORD!,
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ ...server(), database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A new database: empty, or a copy of `template` (a database nobody is connected to), which is far quicker than building it again. */
export async function createDatabase(template?: string): Promise<TestDatabase> {
  const { host, port, user, password } = server();
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`);
  const url = `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
  const connect = async () => {
    const client = new pg.Client({ host, port, user, password, database: name });
    await client.connect();
    return client;
  };
  return {
    name,
    host,
    port,
    user,
    password,
    url,
    env: { DATABASE_URL: url },
    connect,
    async query(sql, values) {
      const client = await connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Ordinary tables of the public schema, sorted. */
export async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  return rows.map((row) => row.table_name);
}

/**
 * Whether any session holds (or waits for) the migration lock in this database: advisory locks are
 * per database, and pg_locks lists every database's.
 */
export async function migratorLockHeld(db: TestDatabase): Promise<boolean> {
  const [{ held }] = await db.query<{ held: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2
                      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held`,
    [...MIGRATION_LOCK_KEY],
  );
  return held;
}

/** Versioned history rows (id > 0), or [] when there is no history table. */
export async function appliedVersions(db: TestDatabase): Promise<Array<{ id: number; name: string }>> {
  const [{ exists }] = await db.query<{ exists: boolean }>(`SELECT to_regclass('migrations') IS NOT NULL AS exists`);
  if (!exists) return [];
  return db.query(`SELECT id, name FROM migrations WHERE id > 0 ORDER BY id`);
}

/** The database as the migrator's own modules take a connection. */
export function connectionSettingsOf(db: TestDatabase): ConnectionSettings {
  return {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.name,
    sslMode: 'disable',
    ssl: false,
    applicationName: 'test',
  };
}

/** Restores a plain SQL dump into the database with psql, the way `migrator converge` does. */
export async function restoreInto(db: TestDatabase, dump: string): Promise<void> {
  await restoreDump(dump, connectionSettingsOf(db));
}
