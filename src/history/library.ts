/**
 * The calls into postgres-migrations. Its runner applies each versioned file: in a transaction
 * together with its history row, or without one when the file has the library's marker, and
 * rolled back on failure. We hand it one file at a time on our locked connection, after our own
 * validation: its migrate() would read and hash the whole folder again, take a second advisory
 * lock that polls forever, and report progress only as log strings.
 */
import path from 'node:path';
import type pg from 'pg';

/** A migration as the library's runner takes it. */
export interface LibraryMigration {
  id: number;
  name: string;
  fileName: string;
  hash: string;
  sql: string;
}

type RunMigration = (
  table: string,
  client: Pick<pg.Client, 'query'>,
  log?: (message: string) => void,
) => (migration: LibraryMigration & { contents: string }) => Promise<unknown>;

const silent = () => undefined;

/** Runs one migration through the library's own runner (loaded only when something is applied). */
export async function runLibraryMigration(table: string, client: Pick<pg.Client, 'query'>, migration: LibraryMigration): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runMigration } = require('postgres-migrations/dist/run-migration') as { runMigration: RunMigration };
  // Field by field: a migration's text may be a getter (read when needed), which a spread would not copy.
  const { id, name, fileName, hash, sql } = migration;
  await runMigration(table, client, silent)({ id, name, fileName, hash, sql, contents: sql });
}

/**
 * The library's migration 0, which creates its history table, as the library loads it: from its
 * own package, next to its code, by its own loader. Loaded alone: the library's folder loader
 * would read, hash (and for .js, run) every file of the versioned folder again just to add it,
 * a second copy in memory of every pending file, however large.
 */
export async function libraryTableMigration(): Promise<LibraryMigration> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadMigrationFile } = require('postgres-migrations/dist/migration-file') as {
    loadMigrationFile: (filePath: string) => Promise<LibraryMigration>;
  };
  const own = await loadMigrationFile(path.join(libraryDir(), 'migrations', '0_create-migrations-table.sql'));
  if (own.id !== 0) throw new Error('postgres-migrations no longer provides its migration 0 (its history table)');
  return own;
}

/**
 * Where the library's code is: its package when installed beside us; in dist/migrator.js, which
 * holds the library's code, the bundle's own folder, where the build copies that migration.
 */
function libraryDir(): string {
  try {
    return path.dirname(require.resolve('postgres-migrations/dist/migration-file'));
  } catch {
    return __dirname;
  }
}
