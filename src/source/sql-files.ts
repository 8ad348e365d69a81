/** Reading a phase's folder of plain SQL files. */
import path from 'node:path';
import { refuseNoStatement } from './file-checks';
import type { FolderListing } from './folder-entries';
import { decodeSqlText, readBytes } from './sql-text';

export interface SqlFile {
  /** File name within its folder, e.g. 010_users.sql. */
  name: string;
  sql: string;
}

/** Whether a name is a legacy script's or a table file's: *.sql, in any case. */
export function isSqlName(name: string): boolean {
  return name.toLowerCase().endsWith('.sql');
}

/**
 * The files of a phase's folder (folder-entries.ts), sorted by name (code-unit order: zero-pad
 * numeric prefixes). A folder that does not exist is a phase with nothing in it.
 */
export function readSqlFiles(folder: string, listing: FolderListing | undefined): SqlFile[] {
  if (listing === undefined) return [];
  return [...listing.names].sort().map((name) => {
    const label = `${folder}/${name}`;
    // Joined by hand: dir is normalized already (see loadVersionedFiles for why that matters).
    const bytes = readBytes(label, `${listing.dir}${path.sep}${name}`);
    const sql = decodeSqlText(label, bytes);
    refuseNoStatement(label, sql);
    return { name, sql };
  });
}
