/**
 * Checks that versioned files and the recorded history agree, comparing by id (the library compares
 * by array position, so one deleted history row would surface as a misleading hash error).
 */
import { ValidationError } from '../errors';
import type { AppliedMigration } from '../results';
import { migrationHash, type VersionedFile } from './files';

export interface HistoryComparison {
  pending: VersionedFile[];
  /** Applied migrations newer than every file: the database is ahead of these files. */
  ahead: AppliedMigration[];
}

/** applied: the history as the store reads it. */
export function compareWithHistory(files: VersionedFile[], applied: AppliedMigration[]): HistoryComparison {
  const byId = new Map(files.map((file) => [file.id, file]));
  const lastFileId = Math.max(0, ...files.map((file) => file.id));
  const ahead: AppliedMigration[] = [];
  for (const row of applied) {
    const file = byId.get(row.id);
    if (!file) {
      if (row.id > lastFileId) {
        ahead.push(row);
        continue;
      }
      throw new ValidationError(`migration ${row.id} (${row.name}) was applied, but its file is missing from versioned/`);
    }
    // A .js file a read-only command did not run has no hash to compare: `up` compares it.
    if (!file.deferred && file.hash !== row.hash) throw changedAfterApply(file, row);
  }
  const appliedIds = new Set(applied.map((row) => row.id));
  const pending = files.filter((file) => !appliedIds.has(file.id));
  const lastAppliedId = Math.max(0, ...applied.map((row) => row.id));
  const outOfOrder = pending.find((file) => file.id < lastAppliedId);
  if (outOfOrder) {
    throw new ValidationError(
      `versioned/${outOfOrder.fileName} is not recorded as applied, but later migrations are: the history table is missing a row`,
      outOfOrder.fileName,
    );
  }
  return { pending, ahead };
}

function changedAfterApply(file: VersionedFile, row: AppliedMigration): ValidationError {
  // The library hashes raw text, so a checkout that turned LF into CRLF (or back) changes every hash.
  const lineEndingsOnly =
    migrationHash(file.fileName, file.sql.replace(/\r\n/g, '\n')) === row.hash ||
    migrationHash(file.fileName, file.sql.replace(/\r?\n/g, '\r\n')) === row.hash;
  const reason = lineEndingsOnly
    ? 'only its line endings differ from what was applied (CRLF vs LF): restore the original line endings, e.g. check out with the repository .gitattributes (*.sql text eol=lf)'
    : 'applied migrations must not be edited; add a new migration instead';
  return new ValidationError(
    `versioned/${file.fileName} changed after it was applied (recorded as "${row.name}" with hash ${row.hash}, file now hashes to ${file.hash}): ${reason}`,
    file.fileName,
  );
}
