/**
 * postgres-migrations' rules for versioned files: how a file name gives the id and the name the
 * history records, how the hash is computed, and which files run without a transaction.
 */
import { createHash } from 'node:crypto';

export interface VersionedFile {
  id: number;
  /** The name the library records in its history (file name without id and extension). */
  name: string;
  fileName: string;
  hash: string;
  /**
   * The file's text, decoded and checked when first read: a start that finds a file applied and
   * unchanged (its hash) never needs it.
   */
  readonly sql: string;
  /** Whether the library runs it in a transaction (the file has no marker). */
  inTransaction: boolean;
  /**
   * A .js migration a read-only command did not run: its SQL and hash are known only to `up`,
   * which runs its generateSql() (sql and hash are empty then).
   */
  deferred?: true;
  /** Applied only by `up --post-deploy` (its header has the post-deploy line; src/source/post-deploy.ts). */
  readonly postDeploy: boolean;
}

/** A file containing this line runs without a transaction (the library's rule). */
export const NO_TRANSACTION_MARKER = '-- postgres-migrations disable-transaction';

/** The history keeps names unique, in at most this many characters (its column is varchar(100)). */
export const MAX_NAME_LENGTH = 100;

const MIGRATION_FILE = /\.(sql|js)$/i;
// The library's own file-name pattern.
const LIBRARY_NAME = /^(-?\d+)[-_]?(.*).(sql|js)$/i;

export function runsInTransaction(sql: string | Buffer): boolean {
  return !sql.includes(NO_TRANSACTION_MARKER);
}

/** Whether the library takes a file of a versioned folder for a migration. */
export function isMigrationFile(fileName: string): boolean {
  return MIGRATION_FILE.test(fileName);
}

/** The id and name the library reads from a file name; undefined when it does not start with an id. */
export function parseMigrationFileName(fileName: string): { id: number; name: string; isJs: boolean } | undefined {
  const match = LIBRARY_NAME.exec(fileName);
  if (!match || !/^\d/.test(fileName)) return undefined;
  return { id: Number(match[1]), name: match[2] === '' ? fileName : match[2], isJs: match[3].toLowerCase() === 'js' };
}

/** sha1 of the file name followed by the SQL's UTF-8 bytes, as the library computes it. */
export function migrationHash(fileName: string, sql: string | Buffer): string {
  return createHash('sha1').update(fileName, 'utf8').update(sql).digest('hex');
}
