/**
 * Checks that versioned files and the recorded history agree, comparing by id (the library compares
 * by array position, so one deleted history row would surface as a misleading hash error).
 */
import { readdir } from 'node:fs/promises';
import { ValidationError } from '../../errors';
import type { AppliedMigration } from './history';
import type { VersionedFile } from './library';

const MIGRATION_FILE = /\.(sql|js)$/i;
const ID_PREFIX = /^(\d+)[-_]?.*\.(sql|js)$/i;

/**
 * File-name checks with messages that name the files, before the library's own terser ones:
 * every .sql/.js file starts with an id, ids are unique and consecutive from 1.
 */
export async function checkFileNames(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  const byId = new Map<number, string[]>();
  for (const name of names) {
    const match = ID_PREFIX.exec(name);
    if (!match) {
      throw new ValidationError(
        `versioned/${name}: a versioned migration's name must start with its id, like 7_add_orders_index.sql`,
        name,
      );
    }
    const id = Number(match[1]);
    byId.set(id, [...(byId.get(id) ?? []), name]);
  }
  for (const [id, files] of byId) {
    if (files.length > 1) {
      throw new ValidationError(
        `versioned migrations ${files.join(' and ')} share id ${id}: give the one merged last the next free id`,
        files[1],
      );
    }
  }
  const ids = [...byId.keys()].sort((a, b) => a - b);
  ids.forEach((id, index) => {
    if (id !== index + 1) {
      const expected = index + 1;
      throw new ValidationError(
        `versioned migration ${expected} is missing (next is ${byId.get(id)?.[0]}): ids must run 1, 2, 3... without gaps`,
        byId.get(id)?.[0],
      );
    }
  });
}

export interface HistoryComparison {
  pending: VersionedFile[];
  /** Applied migrations newer than every file: the database is ahead of these files. */
  ahead: AppliedMigration[];
}

export function compareWithHistory(files: VersionedFile[], history: AppliedMigration[]): HistoryComparison {
  const byId = new Map(files.map((file) => [file.id, file]));
  const lastFileId = Math.max(0, ...files.map((file) => file.id));
  const ahead: AppliedMigration[] = [];
  for (const applied of history) {
    const file = byId.get(applied.id);
    if (!file) {
      if (applied.id > lastFileId) {
        ahead.push(applied);
        continue;
      }
      throw new ValidationError(`migration ${applied.id} (${applied.name}) was applied, but its file is missing from versioned/`);
    }
    if (file.hash !== applied.hash) {
      throw new ValidationError(
        `versioned/${file.fileName} changed after it was applied (recorded as "${applied.name}" with hash ${applied.hash}, ` +
          `file now hashes to ${file.hash}): applied migrations must not be edited; add a new migration instead`,
        file.fileName,
      );
    }
  }
  const appliedIds = new Set(history.map((applied) => applied.id));
  const pending = files.filter((file) => !appliedIds.has(file.id));
  const lastAppliedId = Math.max(-1, ...history.map((applied) => applied.id));
  const outOfOrder = pending.find((file) => file.id < lastAppliedId);
  if (outOfOrder) {
    throw new ValidationError(
      `versioned/${outOfOrder.fileName} is not recorded as applied, but later migrations are: the history table is missing a row`,
      outOfOrder.fileName,
    );
  }
  return { pending, ahead };
}
