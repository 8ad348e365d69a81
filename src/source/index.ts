/**
 * Everything a run will execute, read and checked before the database is touched, so that a bad
 * file in any phase stops the run with the database exactly as it was.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readSqlFiles, type SqlFile } from './sql-files';
import { loadVersionedFiles, type VersionedFile } from './versioned-files';

export type { SqlFile } from './sql-files';
export type { VersionedFile } from './versioned-files';

export interface MigrationSet {
  legacy: SqlFile[];
  tables: SqlFile[];
  /** Absolute path of versioned/, or undefined when the folder does not exist. */
  versionedDir?: string;
  versioned: VersionedFile[];
}

export async function loadMigrationSet(migrationsDir: string): Promise<MigrationSet> {
  const versionedDir = path.join(migrationsDir, 'versioned');
  const hasVersioned = existsSync(versionedDir);
  const [legacy, tables, versioned] = await Promise.all([
    readSqlFiles(migrationsDir, 'legacy'),
    readSqlFiles(migrationsDir, 'tables'),
    hasVersioned ? loadVersionedFiles(versionedDir) : Promise.resolve([]),
  ]);
  return { legacy, tables, versioned, versionedDir: hasVersioned ? versionedDir : undefined };
}
