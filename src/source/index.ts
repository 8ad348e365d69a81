/**
 * Everything a run will execute, read and checked before the database is touched, so that a bad
 * file in any phase stops the run with the database exactly as it was.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { refuseInTransaction } from './file-checks';
import { readManifest } from './manifest';
import { readSqlFiles, type SqlFile } from './sql-files';
import { readFolder } from './sql-text';
import type { VersionedFile } from '../history';
import { foreignLayoutIn, loadVersionedFiles } from './versioned-files';

export { MANIFEST_FILE, writeManifest } from './manifest';
export type { SqlFile } from './sql-files';
export type { VersionedFile } from '../history';

export interface MigrationSet {
  legacy: SqlFile[];
  tables: SqlFile[];
  /** Absolute path of versioned/, or undefined when the folder does not exist. */
  versionedDir?: string;
  versioned: VersionedFile[];
}

export interface LoadOptions {
  /**
   * Whether .js versioned migrations are run to learn their SQL and hash (default true). Read-only
   * commands pass false: they never run code of a migration.
   */
  executeJs?: boolean;
  /** Whether a folder without any migration file is accepted (default false: `migrator new` accepts one). */
  allowEmpty?: boolean;
}

/**
 * Synchronous: through fs/promises every file would take four hops to the thread pool and back
 * (open, stat, read, close) for a few bytes each. A folder that does not exist, or holds no
 * migration at all, is refused: it is a wrong path or an empty mount far more often than a
 * project without migrations, and reads as "nothing to do".
 */
export function loadMigrationSet(migrationsDir: string, options: LoadOptions = {}): MigrationSet {
  if (!existsSync(migrationsDir)) throw new ConfigError(`the migrations folder ${migrationsDir} does not exist`, 'MIGRATIONS_DIR');
  const versionedDir = path.join(migrationsDir, 'versioned');
  const versionedNames = readFolder(versionedDir, 'versioned');
  const legacy = readSqlFiles(migrationsDir, 'legacy');
  const tables = readSqlFiles(migrationsDir, 'tables');
  for (const file of legacy) refuseInTransaction(`legacy/${file.name}`, file.sql);
  for (const file of tables) refuseInTransaction(`tables/${file.name}`, file.sql);
  const versioned = versionedNames
    ? loadVersionedFiles(versionedDir, versionedNames, options.executeJs ?? true, readManifest(migrationsDir))
    : [];
  if (!options.allowEmpty && legacy.length + tables.length + versioned.length === 0) {
    // Alembic's revisions are Python: copied into versioned/, they leave it without a migration.
    const foreign = versionedNames && foreignLayoutIn(versionedDir, versionedNames);
    if (foreign) throw foreign;
    throw new ConfigError(
      `the migrations folder ${migrationsDir} holds no migration (no .sql file in legacy/, tables/ or versioned/): check the path or the mount`,
      'MIGRATIONS_DIR',
    );
  }
  return { legacy, tables, versioned, versionedDir: versionedNames ? versionedDir : undefined };
}
