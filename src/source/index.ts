/**
 * Everything a run will execute, read and checked before the database is touched, so that a bad
 * file in any phase stops the run with the database exactly as it was.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { isMigrationFile, type VersionedFile } from '../history/files';
import type { Logger } from '../log';
import { refuseInTransaction } from './file-checks';
import { listPhaseFolder, REPEATABLE_FOLDER } from './folder-entries';
import { readManifest } from './manifest';
import { isSqlName, readSqlFiles, type SqlFile } from './sql-files';
import { foreignLayoutIn, loadVersionedFiles } from './versioned-files';

export { DOWN_FOLDER, REPEATABLE_FOLDER } from './folder-entries';
export { MANIFEST_FILE, writeManifest } from './manifest';
export type { SqlFile } from './sql-files';
export type { VersionedFile } from '../history/files';

export interface MigrationSet {
  legacy: SqlFile[];
  tables: SqlFile[];
  /** Absolute path of versioned/, or undefined when the folder does not exist. */
  versionedDir?: string;
  versioned: VersionedFile[];
  /** repeatable/: current definitions of views, functions..., run again whenever one changed (phases/repeatable.ts). */
  repeatable: SqlFile[];
}

export interface LoadOptions {
  /**
   * Whether .js versioned migrations are run to learn their SQL and hash (default true). Read-only
   * commands pass false: they never run code of a migration.
   */
  executeJs?: boolean;
  /** Whether a folder without any migration file is accepted (default false: `migrator new` accepts one). */
  allowEmpty?: boolean;
  /**
   * Whether versioned/'s manifest may stand in for reading applied files (default true). `verify`
   * passes false: it hashes every file, whatever a manifest says.
   */
  useManifest?: boolean;
  /** Hears a warning for each note for people (README.md...) left alone in a phase folder. */
  logger?: Logger;
}

/**
 * Synchronous: through fs/promises every file would take four hops to the thread pool and back
 * (open, stat, read, close) for a few bytes each. A folder that does not exist, or holds no
 * migration at all, is refused: it is a wrong path or an empty mount far more often than a
 * project without migrations, and reads as "nothing to do".
 */
export function loadMigrationSet(migrationsDir: string, options: LoadOptions = {}): MigrationSet {
  if (!existsSync(migrationsDir)) throw new ConfigError(`the migrations folder ${migrationsDir} does not exist`, 'MIGRATIONS_DIR');
  // Every folder is sorted out before any file is read: a stray entry stops the run at once.
  // Alembic's revisions are Python: copied into versioned/, they are named as another tool's.
  const versionedListing = listPhaseFolder(migrationsDir, 'versioned', isMigrationFile, (files) =>
    foreignLayoutIn(path.join(migrationsDir, 'versioned'), files),
  );
  const legacyListing = listPhaseFolder(migrationsDir, 'legacy', isSqlName);
  const tablesListing = listPhaseFolder(migrationsDir, 'tables', isSqlName);
  const repeatableListing = listPhaseFolder(migrationsDir, REPEATABLE_FOLDER, isSqlName);
  for (const listing of [legacyListing, tablesListing, versionedListing, repeatableListing]) {
    for (const file of listing?.ignored ?? []) options.logger?.warn({ file }, `${file} is not a migration: left alone`);
  }
  const legacy = readSqlFiles('legacy', legacyListing);
  const tables = readSqlFiles('tables', tablesListing);
  const repeatable = readSqlFiles(REPEATABLE_FOLDER, repeatableListing);
  for (const file of legacy) refuseInTransaction(`legacy/${file.name}`, file.sql);
  for (const file of tables) refuseInTransaction(`tables/${file.name}`, file.sql);
  // All of them run in one transaction: a file may neither end it nor hold a statement that refuses one.
  for (const file of repeatable) refuseInTransaction(`repeatable/${file.name}`, file.sql);
  const versionedDir = versionedListing?.dir;
  const manifest = versionedDir && (options.useManifest ?? true) ? readManifest(versionedDir) : undefined;
  const versioned = versionedListing
    ? loadVersionedFiles(versionedListing.dir, versionedListing.names, options.executeJs ?? true, manifest)
    : [];
  if (!options.allowEmpty && legacy.length + tables.length + versioned.length + repeatable.length === 0) {
    throw new ConfigError(
      `the migrations folder ${migrationsDir} holds no migration (no .sql file in legacy/, tables/, versioned/ or repeatable/): check the path or the mount`,
      'MIGRATIONS_DIR',
    );
  }
  return { legacy, tables, versioned, versionedDir, repeatable };
}
