/** Reading a phase's folder of plain SQL files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { refuseNoStatement } from './file-checks';
import { decodeSqlText, readBytes, readFolder } from './sql-text';

export interface SqlFile {
  /** File name within its folder, e.g. 010_users.sql. */
  name: string;
  sql: string;
}

/**
 * The *.sql files of migrationsDir/folder, sorted by name (code-unit order: zero-pad numeric
 * prefixes). A folder that does not exist is a phase with nothing in it.
 */
export function readSqlFiles(migrationsDir: string, folder: string): SqlFile[] {
  const dir = path.join(migrationsDir, folder);
  const names = readFolder(dir, folder);
  if (names === undefined) return [];
  const sqlNames = names.filter((name) => name.toLowerCase().endsWith('.sql')).sort();
  return sqlNames.map((name) => {
    const label = `${folder}/${name}`;
    // Joined by hand: dir is normalized already (see loadVersionedFiles for why that matters).
    const bytes = readBytes(label, () => readFileSync(`${dir}${path.sep}${name}`));
    const sql = decodeSqlText(label, bytes);
    refuseNoStatement(label, sql);
    return { name, sql };
  });
}
