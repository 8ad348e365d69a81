/**
 * Everything a run will execute, read and checked before the database is touched, so that a bad
 * file in any phase stops the run with the database exactly as it was.
 */
import path from 'node:path';
import { refuseTransactionControl } from './file-checks';
import { readSqlFiles, type SqlFile } from './sql-files';
import { readFolder } from './sql-text';
import type { VersionedFile } from '../history';
import { loadVersionedFiles } from './versioned-files';

export type { SqlFile } from './sql-files';
export type { VersionedFile } from '../history';

export interface MigrationSet {
  legacy: SqlFile[];
  tables: SqlFile[];
  /** Absolute path of versioned/, or undefined when the folder does not exist. */
  versionedDir?: string;
  versioned: VersionedFile[];
}

/**
 * Synchronous: a few hundred small files read one after another cost a few ms, the same through
 * fs/promises (open, stat, read, close each on the thread pool) some three times as much.
 */
export function loadMigrationSet(migrationsDir: string): MigrationSet {
  const versionedDir = path.join(migrationsDir, 'versioned');
  const versionedNames = readFolder(versionedDir, 'versioned');
  const legacy = readSqlFiles(migrationsDir, 'legacy');
  const tables = readSqlFiles(migrationsDir, 'tables');
  for (const file of legacy) refuseTransactionControl(`legacy/${file.name}`, file.sql);
  for (const file of tables) refuseTransactionControl(`tables/${file.name}`, file.sql);
  return {
    legacy,
    tables,
    versioned: versionedNames ? loadVersionedFiles(versionedDir, versionedNames) : [],
    versionedDir: versionedNames ? versionedDir : undefined,
  };
}
