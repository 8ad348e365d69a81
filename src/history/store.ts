/**
 * The history store: where versioned migrations are recorded, in postgres-migrations' own table.
 * The only code that knows that table, its row 0 and its INSERT; every command reads and writes
 * the history through this contract.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { lockGuardSql } from '../db/lock';
import { HISTORY_TABLE, isConfined, ownSchema, ownTable } from '../db/own-tables';
import { runScript } from '../db/script';
import { sessionResetSql } from '../db/session';
import { ValidationError } from '../errors';
import type { AppliedMigration } from '../results';
import { batchedQueries, isHistoryInsert } from './batched-queries';
import { compareWithHistory, type HistoryComparison } from './compare';
import type { VersionedFile } from './files';
import { libraryTableMigration, runLibraryMigration, type LibraryMigration } from './library';

export { HISTORY_TABLE };

/** The library's own first row, the migration that created its table: not one of ours. */
const LIBRARY_OWN_ID = 0;

export interface HistoryCheck extends HistoryComparison {
  /** Highest applied id (0: none). */
  currentVersion: number;
  lastApplied?: AppliedMigration;
}

export interface HistoryStore {
  /**
   * The applied migrations, oldest first (the library's own row 0 left out; none when there is no
   * history table yet). Refuses a table of that name that is not the library's history.
   */
  read(): Promise<AppliedMigration[]>;
  /**
   * The history checked against the files (compare.ts): pending, ahead, the current version. When
   * the applied migrations are exactly files 1..n unchanged, as on nearly every start, a digest
   * the server computes says so in one row, whatever n is; otherwise every row is read, so that
   * the messages can name the file.
   */
  check(files: VersionedFile[]): Promise<HistoryCheck>;
  /**
   * Creates the history table, with its row 0, exactly as the library does (in a transaction of
   * its own), unless it exists. apply() calls it first; before record(), the caller does.
   */
  ensureTable(): Promise<void>;
  /**
   * Applies one pending file as the library does: its statements and its history row in one
   * transaction, or without a transaction when the file has the library's marker. Rejects with
   * the error PostgreSQL (or the connection) raised, its position counted from the file's start.
   */
  apply(file: VersionedFile, options?: ApplyOptions): Promise<void>;
  /** Records files as applied without running them (baseline), in the caller's transaction. */
  record(files: VersionedFile[]): Promise<void>;
  /** Removes a migration's row (rollback), in the caller's transaction. */
  remove(id: number): Promise<void>;
}

export interface ApplyOptions {
  /**
   * Runs after the file's statements and before its history row is written (for a file without a
   * transaction; in one, both go together): a check that must pass for the file to count as applied.
   */
  beforeRecord?(): Promise<void>;
  /** For a file in a transaction: SQL of the migrator's own run in it right before its history row and COMMIT. */
  beforeCommit?: string;
}

interface HistoryCatalog {
  visible: string | null;
  visibleKind: string | null;
  columns: string[] | null;
  schemasWithTable: string[];
}

const REQUIRED_COLUMNS = ['id', 'name', 'hash'];

/** versionedDir: where the files are; the library reads its own table-creating migration from there (ensureTable). */
export function createHistoryStore(client: pg.Client, versionedDir: string | undefined): HistoryStore {
  // Qualified with the session's own schema (db/own-tables.ts), in every query about it.
  const table = ownTable(client, HISTORY_TABLE);
  // Known once read() has looked, so that applying needs no extra query to learn it.
  let tableExists: boolean | undefined;
  const store: HistoryStore = {
    async read() {
      const catalog = await readCatalog(client, table);
      tableExists = catalog !== undefined;
      return catalog ? readRows(client, table, catalog) : [];
    },

    async check(files) {
      const catalog = await readCatalog(client, table);
      tableExists = catalog !== undefined;
      if (catalog) {
        const { count, digest, ...last } = (await client.query<HistoryDigest>(digestSql(table, catalog))).rows[0];
        const applied = files.slice(0, count);
        if (applied.length === count && applied.every((file) => !file.deferred) && digest === digestOf(applied) && last.id === count) {
          return { pending: files.slice(count), ahead: [], currentVersion: count, ...(count > 0 && { lastApplied: last }) };
        }
      }
      const rows = catalog ? await readRows(client, table, catalog) : [];
      return { ...compareWithHistory(files, rows), currentVersion: Math.max(0, ...rows.map((row) => row.id)), lastApplied: rows.at(-1) };
    },

    async ensureTable() {
      tableExists ??= (await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table])).rows[0].exists;
      if (tableExists) return;
      if (versionedDir === undefined) throw new Error('a history table is made only for a versioned/ folder');
      await applyThroughLibrary(client, table, createdAs(await libraryTableMigration(), table));
      tableExists = true;
    },

    async apply(file, options) {
      await store.ensureTable();
      await applyThroughLibrary(client, table, file, options);
    },

    async record(files) {
      for (const file of files) {
        await client.query(`INSERT INTO ${table} (id, name, hash) VALUES ($1, $2, $3)`, [file.id, file.name, file.hash]);
      }
    },

    async remove(id) {
      await client.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    },
  };
  return store;
}

/**
 * The library's runner on a client that runs a file in its transaction one statement at a time
 * and sends the history INSERT with the COMMIT (batched-queries.ts).
 */
async function applyThroughLibrary(
  client: pg.Client,
  table: string,
  migration: LibraryMigration,
  options: ApplyOptions = {},
): Promise<void> {
  // The first error of the step: the library's ROLLBACK after it may fail too, and its own
  // message keeps only the text, without PostgreSQL's code and position.
  let databaseError: unknown;
  const remember = <T>(work: Promise<T>) =>
    work.catch((error: unknown) => {
      databaseError ??= error;
      throw error;
    });
  const sessionReset = sessionResetSql(client);
  const guard = lockGuardSql(client);
  const send = async (query: string | pg.QueryConfig) => {
    // A file without a transaction ran alone: the session's own state back before its row is written.
    if (isHistoryInsert(query, table)) {
      await options.beforeRecord?.();
      // And refused when it released the migration lock, before its row is written.
      await client.query(`${sessionReset};${guard}`);
    }
    return client.query(query);
  };
  const batched = batchedQueries({
    send: (query) => remember(send(query)),
    runFile: (sql) => remember(runScript(client, sql)),
    escapeLiteral: (value) => client.escapeLiteral(value),
    sessionReset,
    historyTable: table,
    // A file that released the migration lock is refused before its history row, in its transaction.
    guard: options.beforeCommit ? `${guard};${options.beforeCommit}` : guard,
  });
  try {
    await runLibraryMigration(table, batched as Pick<pg.Client, 'query'>, migration);
  } catch (error) {
    throw databaseError ?? error;
  }
}

/**
 * The library's migration 0 creating the history table under its qualified name: the library's
 * file names it unqualified, which would create it wherever the search_path of the moment says.
 * Its hash stays the library's own, as its row 0 has always recorded it.
 */
function createdAs(own: LibraryMigration, table: string): LibraryMigration {
  const unqualified = `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (`;
  if (!own.sql.startsWith(unqualified)) throw new Error(`postgres-migrations' migration 0 no longer starts with ${unqualified}`);
  return { ...own, sql: `CREATE TABLE IF NOT EXISTS ${table} (${own.sql.slice(unqualified.length)}` };
}

interface HistoryDigest extends AppliedMigration {
  count: number;
  digest: string;
}

/** What the server digests of the history: id:hash of every row, in id order (HISTORY_DIGEST_SQL). */
export function digestOf(files: VersionedFile[]): string {
  return createHash('md5')
    .update(files.map((file) => `${file.id}:${file.hash}`).join(','))
    .digest('hex');
}

/**
 * How many migrations the history `table` records, the digest of all of them (digestOf), and the
 * highest id (null when none): the id column is read as the table has it, never cast or coalesced.
 */
export const historyDigestSql = (table: string) =>
  `SELECT count(*)::int AS count, md5(coalesce(string_agg(id || ':' || hash, ',' ORDER BY id), '')) AS digest, max(id) AS version
     FROM ${table} WHERE id <> ${LIBRARY_OWN_ID}`;

/** One row: how many migrations are applied, the digest of all of them, and the last one. */
const digestSql = (table: string, catalog: HistoryTable) => `
SELECT s.count, s.digest, l.*
  FROM (${historyDigestSql(table)}) s
  LEFT JOIN LATERAL (SELECT id, name, hash, ${catalog.hasExecutedAt ? 'executed_at' : 'NULL'} AS "executedAt"
                       FROM ${table} WHERE id <> ${LIBRARY_OWN_ID} ORDER BY id DESC LIMIT 1) l ON true`;

/**
 * postgres-migrations decides that its table exists by looking for any ordinary table named
 * `migrations` in any schema, then reads whichever one the search_path finds. A table of that name
 * in another schema, or an application table of that name, would fool it; we refuse instead.
 */
interface HistoryTable {
  hasExecutedAt: boolean;
}

/** The history table as the catalog shows it; undefined when there is none yet. */
async function readCatalog(client: pg.Client, table: string): Promise<HistoryTable | undefined> {
  const { rows } = await client.query<HistoryCatalog>(
    `SELECT to_regclass($1)::text AS visible,
            (SELECT relkind::text FROM pg_class WHERE oid = to_regclass($1)) AS "visibleKind",
            (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
              WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns,
            -- Only where no history is visible: in a fleet every tenant has one, and the list grows with it.
            CASE WHEN to_regclass($1) IS NULL
                 THEN ARRAY(SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE c.relname = $2 AND c.relkind = 'r' AND c.relpersistence <> 't' ORDER BY 1)
                 ELSE '{}' END AS "schemasWithTable"`,
    [table, HISTORY_TABLE],
  );
  const catalog = rows[0];
  if (catalog.visible === null) {
    // In a run confined to a tenant's schema, the others' history tables are theirs.
    if (catalog.schemasWithTable.length === 0 || isConfined(client)) return undefined;
    const own = ownSchema(client);
    throw new ValidationError(
      `a table named "${HISTORY_TABLE}" exists in schema ${catalog.schemasWithTable.join(', ')} but not on the search_path` +
        `${own === undefined ? '' : ` (the migrator keeps its tables in schema ${own}, where the search_path at connect creates tables)`}; ` +
        `postgres-migrations would take it for its history table. Rename that table, or put its schema on the search_path if it is the history`,
    );
  }
  if (catalog.visibleKind !== 'r') {
    throw new ValidationError(
      `"${catalog.visible}" is not an ordinary table (relkind ${catalog.visibleKind}), but postgres-migrations keeps its history in a table of that name; rename it`,
    );
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !catalog.columns?.includes(column));
  // TypeORM's default history table has the same name: id, timestamp bigint, name (as TypeORM's
  // MigrationExecutor.ts creates it). Said plainly, so that nobody renames or drops the wrong one.
  if (missing.length > 0 && ['id', 'timestamp', 'name'].every((column) => catalog.columns?.includes(column))) {
    throw new ValidationError(
      `table "${catalog.visible}" is TypeORM's migration history (columns id, timestamp, name), not postgres-migrations' (id, name, hash): ` +
        `both tools call their table "${HISTORY_TABLE}" and cannot share a schema. Keep TypeORM's rows under another name ` +
        `(ALTER TABLE ${catalog.visible} RENAME TO typeorm_migrations) before running this migrator here`,
    );
  }
  if (missing.length > 0) {
    throw new ValidationError(
      `table "${catalog.visible}" is not a postgres-migrations history table (it lacks ${missing.join(', ')}); ` +
        `an application table must not be called "${HISTORY_TABLE}": rename it`,
    );
  }
  return { hasExecutedAt: catalog.columns?.includes('executed_at') ?? false };
}

async function readRows(client: pg.Client, table: string, catalog: HistoryTable): Promise<AppliedMigration[]> {
  const history = await client.query<AppliedMigration>(
    `SELECT id, name, hash, ${catalog.hasExecutedAt ? 'executed_at' : 'NULL'} AS "executedAt"
       FROM ${table} WHERE id <> ${LIBRARY_OWN_ID} ORDER BY id`,
  );
  return history.rows;
}
