/**
 * The calls into postgres-migrations. Its runner applies each versioned file: in a transaction
 * together with its history row, or without one when the file has the library's marker, and
 * rolled back on failure. We hand it one file at a time on our locked connection, after our own
 * validation: its migrate() would read and hash the whole folder again, take a second advisory
 * lock that polls forever, and report progress only as log strings.
 */
import type pg from 'pg';

/** A migration as the library's runner takes it. */
export interface LibraryMigration {
  id: number;
  name: string;
  fileName: string;
  hash: string;
  sql: string;
}

type RunMigration = (table: string, client: Pick<pg.Client, 'query'>, log?: (message: string) => void) => (migration: LibraryMigration & { contents: string }) => Promise<unknown>;

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
 * own package, next to its code. The library adds it to every folder it loads, so loading the
 * versioned folder (read-only is enough) yields it.
 */
export async function libraryTableMigration(versionedDir: string): Promise<LibraryMigration> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadMigrationFiles } = require('postgres-migrations') as typeof import('postgres-migrations');
  const migrations = await loadMigrationFiles(versionedDir);
  const own = migrations.find((migration) => migration.id === 0);
  if (!own) throw new Error('postgres-migrations no longer provides its migration 0 (its history table)');
  return own;
}
