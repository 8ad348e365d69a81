/**
 * Loading versioned migrations as postgres-migrations names and hashes them (history/files.ts),
 * read once, with our own checks and messages that name the files: ids unique and consecutive
 * from 1, text valid.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors';
import { isMigrationFile, MAX_NAME_LENGTH, migrationHash, parseMigrationFileName, type VersionedFile } from '../history';
import { isPostDeploy } from './post-deploy';
import { decodeSqlText, readBytes } from './sql-text';

/**
 * dir must be normalized (as path.join returns it): file paths are joined to it by hand. entries:
 * its names. executeJs: whether .js migrations are run to learn their SQL (read-only commands do not).
 */
export function loadVersionedFiles(dir: string, entries: string[], executeJs: boolean): VersionedFile[] {
  const names = entries.filter(isMigrationFile).sort();
  const parsed = names.map((fileName) => {
    const parts = parseMigrationFileName(fileName);
    if (!parts) {
      throw new ValidationError(
        `versioned/${fileName}: a versioned migration's name must start with its id, like 7_add_orders_index.sql`,
        fileName,
      );
    }
    return { ...parts, fileName };
  });
  checkIds(parsed);
  checkNames(parsed);
  parsed.sort((a, b) => a.id - b.id);
  return parsed.map(({ id, name, fileName, isJs }) => {
    // path.join would walk every character of every path again; with a few hundred files under a
    // long folder name that walk gets hot enough for V8 to optimize it, megabytes of peak RSS.
    const filePath = `${dir}${path.sep}${fileName}`;
    if (isJs) {
      if (!executeJs) return { id, name, fileName, sql: '', hash: '', deferred: true };
      const sql = sqlFromJs(filePath);
      return { id, name, fileName, sql, hash: migrationHash(fileName, sql) };
    }
    // Hashing the bytes read avoids encoding a second copy of a possibly very large file.
    const label = `versioned/${fileName}`;
    const bytes = readBytes(label, () => readFileSync(filePath));
    const sql = decodeSqlText(label, bytes);
    return { id, name, fileName, sql, hash: migrationHash(fileName, bytes), ...(isPostDeploy(sql) && { postDeploy: true as const }) };
  });
}

function checkNames(files: Array<{ name: string; fileName: string }>): void {
  const seen = new Map<string, string>();
  for (const { name, fileName } of files) {
    if (name.length > MAX_NAME_LENGTH) {
      throw new ValidationError(`versioned/${fileName}: the name after the id is longer than ${MAX_NAME_LENGTH} characters`, fileName);
    }
    const earlier = seen.get(name);
    if (earlier) {
      throw new ValidationError(
        `versioned migrations ${earlier} and ${fileName} have the same name "${name}": the history records names uniquely, so rename one`,
        fileName,
      );
    }
    seen.set(name, fileName);
  }
}

function checkIds(files: Array<{ id: number; fileName: string }>): void {
  const byId = new Map<number, string[]>();
  for (const { id, fileName } of files) byId.set(id, [...(byId.get(id) ?? []), fileName]);
  for (const [id, fileNames] of byId) {
    if (fileNames.length > 1) {
      throw new ValidationError(
        `versioned migrations ${fileNames.join(' and ')} share id ${id} (two branches each added one): give the one merged last the next free id with: migrator renumber ${fileNames[1]}`,
        fileNames[1],
      );
    }
  }
  const ids = [...byId.keys()].sort((a, b) => a - b);
  ids.forEach((id, index) => {
    if (id !== index + 1) {
      const next = byId.get(id)![0];
      throw new ValidationError(
        `versioned migration ${index + 1} is missing (next is ${next}): ids must run 1, 2, 3... without gaps`,
        next,
      );
    }
  });
}

/** A .js migration exports generateSql(), as postgres-migrations requires. */
function sqlFromJs(file: string): string {
  const label = `versioned/${path.basename(file)}`;
  let sql: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sql = (require(file) as { generateSql?: () => unknown }).generateSql?.();
  } catch (error) {
    throw new ValidationError(`${label} failed to load: ${(error as Error).message}`, label);
  }
  if (typeof sql !== 'string') throw new ValidationError(`${label} must export generateSql() returning a string`, label);
  return sql;
}
