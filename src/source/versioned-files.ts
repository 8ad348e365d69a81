/**
 * Loading versioned migrations exactly as postgres-migrations names and hashes them
 * (<id>[_-]<name>.sql or .js; sha1 of file name + SQL), read once, with our own checks and
 * messages that name the files: ids unique and consecutive from 1, text valid.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors';
import { decodeSqlText, readBytes } from './sql-text';

export interface VersionedFile {
  id: number;
  /** The name the library records in its history (file name without id and extension). */
  name: string;
  fileName: string;
  hash: string;
  sql: string;
}

const MIGRATION_FILE = /\.(sql|js)$/i;
// The library's own file-name pattern.
const LIBRARY_NAME = /^(-?\d+)[-_]?(.*).(sql|js)$/i;

/** sha1 of the file name followed by the SQL's UTF-8 bytes, as the library computes it. */
export function migrationHash(fileName: string, sql: string | Buffer): string {
  return createHash('sha1').update(fileName, 'utf8').update(sql).digest('hex');
}

/** dir must be normalized (as path.join returns it): file paths are joined to it by hand. */
export function loadVersionedFiles(dir: string): VersionedFile[] {
  const names = readdirSync(dir).filter((name) => MIGRATION_FILE.test(name)).sort();
  const parsed = names.map((fileName) => {
    const match = LIBRARY_NAME.exec(fileName);
    if (!match || !/^\d/.test(fileName)) {
      throw new ValidationError(
        `versioned/${fileName}: a versioned migration's name must start with its id, like 7_add_orders_index.sql`,
        fileName,
      );
    }
    return { id: Number(match[1]), name: match[2] === '' ? fileName : match[2], fileName, isJs: match[3].toLowerCase() === 'js' };
  });
  checkIds(parsed);
  checkNames(parsed);
  parsed.sort((a, b) => a.id - b.id);
  return parsed.map(({ id, name, fileName, isJs }) => {
    // path.join would walk every character of every path again; with a few hundred files under a
    // long folder name that walk gets hot enough for V8 to optimize it, megabytes of peak RSS.
    const filePath = `${dir}${path.sep}${fileName}`;
    if (isJs) {
      const sql = sqlFromJs(filePath);
      return { id, name, fileName, sql, hash: migrationHash(fileName, sql) };
    }
    // Hashing the bytes read avoids encoding a second copy of a possibly very large file.
    const label = `versioned/${fileName}`;
    const bytes = readBytes(label, () => readFileSync(filePath));
    return { id, name, fileName, sql: decodeSqlText(label, bytes), hash: migrationHash(fileName, bytes) };
  });
}

/** The library's history table keeps names unique, in at most 100 characters. */
const MAX_NAME_LENGTH = 100;

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
