/**
 * Loading versioned migrations as postgres-migrations names and hashes them (history/files.ts),
 * read once, with our own checks and messages that name the files: ids unique and consecutive
 * from 1, text valid.
 */
import path from 'node:path';
import { foreignLayoutError } from '../adopt/layout-hint';
import { ValidationError } from '../errors';
import { MAX_NAME_LENGTH, migrationHash, parseMigrationFileName, runsInTransaction, type VersionedFile } from '../history/files';
import { MANIFEST_FILE, type ManifestEntry } from './manifest';
import { isPostDeploy } from './post-deploy';
import { decodeSqlText, readBytes } from './sql-text';

/** A file's recorded hash and marker while it is unchanged (manifest.ts), undefined otherwise. */
export type ManifestLookup = (fileName: string, filePath: string) => ManifestEntry | undefined;

/**
 * dir must be normalized (as path.join returns it): file paths are joined to it by hand. entries:
 * its migration files (folder-entries.ts: regular files, nothing else). executeJs: whether .js migrations are run to learn their SQL (read-only commands do
 * not). manifest: the recorded hashes of files that cannot have changed since (manifest.ts).
 */
export function loadVersionedFiles(dir: string, entries: string[], executeJs: boolean, manifest?: ManifestLookup): VersionedFile[] {
  const names = [...entries].sort();
  const parsed = hintingForeignLayout(dir, entries, () => {
    const files = names.map((fileName) => {
      const parts = parseMigrationFileName(fileName);
      if (!parts) {
        throw new ValidationError(
          `versioned/${fileName}: a versioned migration's name must start with its id, like 7_add_orders_index.sql`,
          fileName,
        );
      }
      return { ...parts, fileName };
    });
    checkIds(files);
    checkNames(files);
    return files;
  });
  parsed.sort((a, b) => a.id - b.id);
  return parsed.map(({ id, name, fileName, isJs }) => {
    // path.join would walk every character of every path again; with a few hundred files under a
    // long folder name that walk gets hot enough for V8 to optimize it, megabytes of peak RSS.
    const filePath = `${dir}${path.sep}${fileName}`;
    if (isJs) {
      if (!executeJs) return { id, name, fileName, sql: '', hash: '', inTransaction: true, postDeploy: false, deferred: true };
      const sql = sqlFromJs(filePath);
      return {
        id,
        name,
        fileName,
        sql,
        hash: migrationHash(fileName, sql),
        inTransaction: runsInTransaction(sql),
        postDeploy: isPostDeploy(sql),
      };
    }
    const label = `versioned/${fileName}`;
    const recorded = manifest?.(fileName, filePath);
    if (recorded) return new UnreadFile(label, { id, name, fileName }, filePath, recorded);
    // Hashing the bytes read avoids encoding a second copy of a possibly very large file.
    return new ReadFile(label, { id, name, fileName }, readBytes(label, filePath));
  });
}

/**
 * Files copied in from another tool fail the checks of names and ids: the message then names the
 * tool and the command that converts them. Only then are their texts read (dbmate's are known by it).
 */
function hintingForeignLayout<T>(dir: string, entries: string[], check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw foreignLayoutIn(dir, entries) ?? error;
  }
}

/** The error naming the tool whose files these are, when they look like another tool's. */
export function foreignLayoutIn(dir: string, entries: string[]): ValidationError | undefined {
  const readText = (fileName: string) => {
    try {
      return readBytes(fileName, `${dir}${path.sep}${fileName}`).toString('utf8');
    } catch {
      return '';
    }
  };
  return foreignLayoutError(entries, readText);
}

type Names = Pick<VersionedFile, 'id' | 'name' | 'fileName'>;

/**
 * A .sql migration whose text is read, decoded and checked only when first asked for. A class
 * rather than an object literal with getters: thousands of them are made on every start.
 */
abstract class LazySqlFile implements VersionedFile {
  readonly id: number;
  readonly name: string;
  readonly fileName: string;
  protected readonly label: string;
  #text: string | undefined;

  constructor(label: string, names: Names) {
    this.id = names.id;
    this.name = names.name;
    this.fileName = names.fileName;
    this.label = label;
  }

  abstract readonly hash: string;
  abstract readonly inTransaction: boolean;
  /** The file's text, decoded and checked: called once. */
  protected abstract readText(): string;

  get sql(): string {
    this.#text ??= this.readText();
    return this.#text;
  }

  get postDeploy(): boolean {
    return isPostDeploy(this.sql);
  }
}

/** A file read at start: hashed from its bytes, which are let go once its text is decoded. */
class ReadFile extends LazySqlFile {
  readonly hash: string;
  readonly inTransaction: boolean;
  #raw: Buffer | undefined;

  constructor(label: string, names: Names, bytes: Buffer) {
    super(label, names);
    this.hash = migrationHash(names.fileName, bytes);
    this.inTransaction = runsInTransaction(bytes);
    this.#raw = bytes;
  }

  protected readText(): string {
    const text = decodeSqlText(this.label, this.#raw!);
    this.#raw = undefined;
    return text;
  }
}

/**
 * A file known from the manifest: read only when its text is needed, and refused then if its bytes
 * are not the ones the manifest hashed (edited in place, keeping size and time).
 */
class UnreadFile extends LazySqlFile {
  readonly hash: string;
  readonly inTransaction: boolean;
  #path: string;

  constructor(label: string, names: Names, filePath: string, recorded: ManifestEntry) {
    super(label, names);
    this.hash = recorded.hash;
    this.inTransaction = recorded.inTransaction;
    this.#path = filePath;
  }

  protected readText(): string {
    const bytes = readBytes(this.label, this.#path);
    if (migrationHash(this.fileName, bytes) !== this.hash) {
      throw new ValidationError(
        `${this.label} changed after versioned/${MANIFEST_FILE} was written, keeping its size and time: write the manifest again (migrator manifest) or remove it`,
        this.label,
      );
    }
    return decodeSqlText(this.label, bytes);
  }
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
  const zero = files.find((file) => file.id === 0);
  if (zero) {
    throw new ValidationError(
      `versioned/${zero.fileName}: id 0 is reserved for the history table's own migration (postgres-migrations records the table's creation as 0); number versioned migrations from 1`,
      zero.fileName,
    );
  }
  // In id order (a stable sort keeps files of one id in name order), a duplicate is a neighbour.
  const byId = [...files].sort((a, b) => a.id - b.id);
  for (let at = 1; at < byId.length; at++) {
    if (byId[at].id !== byId[at - 1].id) continue;
    const fileNames = byId.filter((file) => file.id === byId[at].id).map((file) => file.fileName);
    throw new ValidationError(
      `versioned migrations ${fileNames.join(' and ')} share id ${byId[at].id} (two branches each added one): give the one merged last the next free id with: migrator renumber ${fileNames[1]}`,
      fileNames[1],
    );
  }
  byId.forEach(({ id, fileName }, index) => {
    if (id !== index + 1) {
      throw new ValidationError(
        `versioned migration ${index + 1} is missing (next is ${fileName}): ids must run 1, 2, 3... without gaps`,
        fileName,
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
