/**
 * Databases as Knex, TypeORM and Kysely leave them: each tool's history tables created with the
 * DDL its PostgreSQL dialect sends, and an application's migrations run and recorded as the tool
 * runs and records them. Their migrations are code; here each is the SQL it would send (APP), so
 * that the same SQL, in versioned files, is what baseline maps the history to.
 */
import type pg from 'pg';
import type { TestDatabase } from './database';

/** One migration of the application: what its up and down functions send. */
export interface AppMigration {
  slug: string;
  up: string;
  down: string;
}

/** A realistic history of 30 migrations: tables, columns, indexes and a data fix. */
export const APP: AppMigration[] = [
  {
    slug: 'create_users',
    up: 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)',
    down: 'DROP TABLE users',
  },
  {
    slug: 'create_posts',
    up: 'CREATE TABLE posts (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users, title text NOT NULL)',
    down: 'DROP TABLE posts',
  },
  ...Array.from({ length: 27 }, (_, at): AppMigration => {
    const n = at + 3;
    if (n % 3 === 0)
      return {
        slug: `add_users_field_${n}`,
        up: `ALTER TABLE users ADD COLUMN field_${n} text`,
        down: `ALTER TABLE users DROP COLUMN field_${n}`,
      };
    if (n % 3 === 1)
      return {
        slug: `add_posts_field_${n}`,
        up: `ALTER TABLE posts ADD COLUMN field_${n} int`,
        down: `ALTER TABLE posts DROP COLUMN field_${n}`,
      };
    return { slug: `index_posts_${n}`, up: `CREATE INDEX posts_index_${n} ON posts (title, id)`, down: `DROP INDEX posts_index_${n}` };
  }),
  {
    slug: 'backfill_users_field_3',
    up: "UPDATE users SET field_3 = 'filled' WHERE field_3 IS NULL",
    down: 'SELECT 1',
  },
];

export interface CodeTool {
  name: 'knex' | 'typeorm' | 'kysely';
  /** The table baseline reads by default. */
  table: string;
  /** The name its history gives migration `at` of APP. */
  nameOf(at: number): string;
  /** Its history tables, as the tool creates them the first time it runs. */
  create(db: TestDatabase): Promise<void>;
  /** One run of the tool applying these migrations (indexes into APP), in order; broken: one whose SQL fails. */
  apply(db: TestDatabase, migrations: number[], broken?: number): Promise<void>;
  /** One run undoing these migrations, newest first: their down SQL, their rows deleted. */
  revert(db: TestDatabase, migrations: number[]): Promise<void>;
}

async function inTransaction(db: TestDatabase, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** A migration's up SQL; in a broken run, the broken one fails after its first statement. */
const upOf = (at: number, broken?: number) => (at === broken ? `${APP[at].up}; SELECT 1 / 0` : APP[at].up);

const stamp = (at: number) => `2023${String(Math.floor(at / 28) + 1).padStart(2, '0')}${String((at % 28) + 1).padStart(2, '0')}120000`;

/**
 * Knex: its table-creator.js (on PostgreSQL: increments, string, integer, timestamp) and
 * Migrator.js's latest(): every migration of a run in one transaction, under the lock row, with
 * its row (name with the file's extension, the run's batch); rollback runs the last batch's down
 * functions and deletes their rows.
 */
export const KNEX: CodeTool = {
  name: 'knex',
  table: 'knex_migrations',
  nameOf: (at) => `${stamp(at)}_${APP[at].slug}.js`,
  async create(db) {
    await db.query(
      'create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz)',
    );
    await db.query('create table "knex_migrations_lock" ("index" serial primary key, "is_locked" integer)');
    await db.query('insert into "knex_migrations_lock" ("is_locked") values (0)');
  },
  async apply(db, migrations, broken) {
    await inTransaction(db, async (client) => {
      const [{ batch }] = (await client.query<{ batch: number }>('select coalesce(max("batch"), 0) + 1 as batch from "knex_migrations"'))
        .rows;
      await client.query('update "knex_migrations_lock" set "is_locked" = 1 where "is_locked" = 0');
      for (const at of migrations) {
        await client.query(upOf(at, broken));
        await client.query('insert into "knex_migrations" ("batch", "migration_time", "name") values ($1, $2, $3)', [
          batch,
          new Date(),
          this.nameOf(at),
        ]);
      }
      await client.query('update "knex_migrations_lock" set "is_locked" = 0');
    });
  },
  async revert(db, migrations) {
    await inTransaction(db, async (client) => {
      for (const at of [...migrations].reverse()) {
        await client.query(APP[at].down);
        await client.query('delete from "knex_migrations" where "name" = $1', [this.nameOf(at)]);
      }
    });
  },
};

/** TypeORM's migration class names: the class, then the JavaScript timestamp its name ends with. */
const typeormTimestamp = (at: number) => 1680000000000 + at * 86_400_000;
const className = (slug: string) => slug.replace(/(^|_)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());

/**
 * TypeORM: its MigrationExecutor.ts's table on PostgreSQL (under its default name, migrations),
 * every pending migration in one transaction (transaction: "all"), each row (timestamp, name)
 * inserted after its up; migration:revert undoes the last one and deletes its row.
 */
export const TYPEORM: CodeTool = {
  name: 'typeorm',
  table: 'typeorm_migrations',
  nameOf: (at) => `${className(APP[at].slug)}${typeormTimestamp(at)}`,
  async create(db) {
    await db.query(
      'CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))',
    );
  },
  async apply(db, migrations, broken) {
    await inTransaction(db, async (client) => {
      for (const at of migrations) {
        await client.query(upOf(at, broken));
        await client.query('INSERT INTO "migrations"("timestamp", "name") VALUES ($1, $2)', [typeormTimestamp(at), this.nameOf(at)]);
      }
    });
  },
  async revert(db, migrations) {
    for (const at of [...migrations].reverse()) {
      await inTransaction(db, async (client) => {
        await client.query(APP[at].down);
        await client.query('DELETE FROM "migrations" WHERE "timestamp" = $1 AND "name" = $2', [typeormTimestamp(at), this.nameOf(at)]);
      });
    }
  },
};

/** Kysely's LOCK_ID (postgres-adapter.ts). */
export const KYSELY_LOCK_ID = '3853314791062309107';

/**
 * Kysely: its migrator.ts's tables (name varchar(255) primary key, timestamp varchar(255) as an
 * ISO string; the lock table with its one row), every pending migration in one transaction under
 * its advisory lock, each row inserted after its up; migrateDown undoes the last and deletes its row.
 */
export const KYSELY: CodeTool = {
  name: 'kysely',
  table: 'kysely_migration',
  nameOf: (at) => `${stamp(at).slice(0, 8)}_${String(at).padStart(2, '0')}_${APP[at].slug}`,
  async create(db) {
    await db.query('create table "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)');
    await db.query('create table "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null)');
    await db.query(`insert into "kysely_migration_lock" ("id", "is_locked") values ('migration_lock', 0)`);
  },
  async apply(db, migrations, broken) {
    await inTransaction(db, async (client) => {
      await client.query(`select pg_advisory_xact_lock(${KYSELY_LOCK_ID})`);
      for (const at of migrations) {
        await client.query(upOf(at, broken));
        await client.query('insert into "kysely_migration" ("name", "timestamp") values ($1, $2)', [
          this.nameOf(at),
          new Date().toISOString(),
        ]);
        // Each row's time differs, as Kysely's do (one run takes milliseconds per migration).
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
  },
  async revert(db, migrations) {
    await inTransaction(db, async (client) => {
      for (const at of [...migrations].reverse()) {
        await client.query(APP[at].down);
        await client.query('delete from "kysely_migration" where "name" = $1', [this.nameOf(at)]);
      }
    });
  },
};

/**
 * The tool's history of all of APP over the months: several runs, a run that failed (its
 * transaction rolled back: no row, no change) before the fixed migration ran, and a rollback of
 * three migrations that were then applied again.
 */
export async function realisticHistory(db: TestDatabase, tool: CodeTool): Promise<void> {
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, at) => from + at);
  await tool.create(db);
  await tool.apply(db, range(0, 4));
  await tool.apply(db, range(5, 11));
  await tool.apply(db, range(12, 14), 14).then(
    () => Promise.reject(new Error('the broken run succeeded')),
    (error: Error) => expect(error.message).toMatch(/division by zero/),
  );
  await tool.apply(db, range(12, 18));
  await tool.apply(db, range(19, 21));
  await tool.revert(db, range(19, 21));
  await tool.apply(db, range(19, 24));
  await tool.apply(db, range(25, APP.length - 1));
}
