/**
 * What a phase folder (legacy/, tables/, versioned/, repeatable/) holds, sorted out before any file in it is
 * opened: migration files, entries that are part of a normal layout, and everything else, which is
 * refused rather than skipped in silence (a 8_x.sqll or a subfolder of tables/ reads as "done"
 * while its SQL never runs).
 *
 * Only regular files are migrations: a FIFO named 8_x.sql would block the read forever, and a
 * device or socket is nobody's SQL. A symbolic link is followed while it stays inside the
 * migrations folder (or inside its own phase folder, however that is mounted): Kubernetes mounts a
 * ConfigMap as links into a hidden ..data/ folder beside them. One that leaves (2_x.sql ->
 * /etc/passwd) would send a file of the machine to the server, and is refused.
 */
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors';

/** versioned/down/: the rollback scripts, read by `migrator rollback`, never by a run. */
export const DOWN_FOLDER = 'down';

/** repeatable/: the repeatable phase's files (phases/repeatable.ts). */
export const REPEATABLE_FOLDER = 'repeatable';

/** A README (README, README.md, README.txt...) or any Markdown file: notes for people, allowed with a warning. */
const DOCUMENTATION = /^readme(\.[a-z]+)?$|\.md$/i;

export type PhaseFolder = 'legacy' | 'tables' | 'versioned' | 'repeatable';

export interface FolderListing {
  /** The folder, normalized: file paths are joined to it by hand. */
  dir: string;
  /** The migration files: regular files (or links to one inside the folder) with a migration's extension. */
  names: string[];
  /** Notes for people the run leaves alone, labelled (e.g. versioned/README.md): a caller warns about them. */
  ignored: string[];
}

const WHAT_A_FILE_IS: Record<PhaseFolder, string> = {
  legacy: 'a legacy script is a .sql file directly in legacy/, like 001_fix_orders.sql (subfolders are not read)',
  tables: 'a table file is a .sql file directly in tables/, like 010_users.sql (subfolders are not read)',
  repeatable:
    'a repeatable file is a .sql file directly in repeatable/ holding the current definition of a view, function, trigger..., like 010_notes_per_account.sql (subfolders are not read)',
  versioned:
    'a versioned migration is a file directly in versioned/ named <id>_<name>.sql (or .js), like 7_add_orders_index.sql; versioned/down/ holds the rollback scripts',
};

/**
 * The listing of migrationsDir/folder, undefined when the folder does not exist. Refuses (with
 * ValidationError, exit 6, naming each entry) a migration-named entry that is not a regular file or
 * a link that leaves the folder, and any entry that is not a migration, except hidden ones
 * (.gitkeep, Kubernetes' ..data), versioned/down/ and notes for people (see DOCUMENTATION).
 * isMigration: whether a name has the extension of the folder's migrations. foreignLayout: for
 * versioned/, the error naming another tool whose files these are, given the regular files' names;
 * it is preferred to the list of strays.
 */
export function listPhaseFolder(
  migrationsDir: string,
  folder: PhaseFolder,
  isMigration: (name: string) => boolean,
  foreignLayout?: (regularFiles: string[]) => ValidationError | undefined,
): FolderListing | undefined {
  const dir = path.join(migrationsDir, folder);
  const entries = readEntries(dir, folder);
  if (!entries) return undefined;
  const names: string[] = [];
  const ignored: string[] = [];
  const strays: string[] = [];
  const regularFiles: string[] = [];
  let isInside: ((realPath: string) => boolean) | undefined;
  for (const entry of entries) {
    const { name } = entry;
    if (name.startsWith('.')) continue;
    const label = `${folder}/${name}`;
    let kind = kindOf(entry);
    if (kind === 'symbolic link') {
      isInside ??= insideEither(migrationsDir, dir);
      kind = followLink(label, `${dir}${path.sep}${name}`, isInside);
    }
    if (kind === 'regular file') regularFiles.push(name);
    if (folder === 'versioned' && name === DOWN_FOLDER && kind === 'directory') continue;
    if (isMigration(name)) {
      if (kind !== 'regular file') {
        throw new ValidationError(
          `${label} is a ${kind}, not a regular file, so it was not opened: a migration must be a regular file (or a link to one inside the migrations folder)`,
          label,
        );
      }
      names.push(name);
    } else if (kind === 'regular file' && DOCUMENTATION.test(name)) {
      ignored.push(label);
    } else {
      strays.push(kind === 'directory' ? `${label}/` : label);
    }
  }
  if (strays.length > 0) {
    throw (
      foreignLayout?.(regularFiles) ??
      new ValidationError(
        `${strays.sort().join(', ')} ${strays.length === 1 ? 'is not a migration' : 'are not migrations'}: ${WHAT_A_FILE_IS[folder]}. ` +
          'Rename or remove it (hidden files and README/.md notes are left alone)',
        strays[0],
      )
    );
  }
  return { dir, names, ignored };
}

/**
 * Whether the file name exists in dir (a folder inside migrationsDir, e.g. versioned/down/), checked
 * as listPhaseFolder checks a migration, before it is opened: false when there is no such entry;
 * ValidationError (exit 6) when it is not a regular file, or a link that leads nowhere or outside
 * the migrations folder and dir. label names it in messages (e.g. versioned/down/7_x.sql).
 */
export function isRegularFileInFolder(migrationsDir: string, dir: string, name: string, label: string): boolean {
  const filePath = path.join(dir, name);
  let entry: Stats;
  try {
    entry = lstatSync(filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    throw new ValidationError(`cannot read ${label} (${code ?? (error as Error).message})`, label);
  }
  let kind = kindOf(entry);
  if (kind === 'symbolic link') kind = followLink(label, filePath, insideEither(migrationsDir, dir));
  if (kind !== 'regular file') {
    throw new ValidationError(
      `${label} is a ${kind}, not a regular file, so it was not opened: it must be a regular file (or a link to one inside the migrations folder)`,
      label,
    );
  }
  return true;
}

/** The entries of a phase's folder with their types (from the directory itself: no stat per file). */
function readEntries(dir: string, folder: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ValidationError(`cannot read the folder ${folder}/ (${code ?? (error as Error).message}): ${dir}`, folder);
  }
}

function kindOf(entry: Dirent | Stats): string {
  if (entry.isFile()) return 'regular file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symbolic link';
  if (entry.isFIFO()) return 'FIFO (named pipe)';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'device';
  return 'special file';
}

/** Whether a resolved path lies inside the migrations folder or inside the phase folder, both resolved. */
function insideEither(migrationsDir: string, dir: string): (realPath: string) => boolean {
  const roots = [realpathSync(migrationsDir), realpathSync(dir)].map((root) => (root.endsWith(path.sep) ? root : root + path.sep));
  return (realPath) => roots.some((root) => realPath.startsWith(root));
}

/** The kind of what a link inside the folder leads to; refused when it leads outside, or nowhere. */
function followLink(label: string, linkPath: string, isInside: (realPath: string) => boolean): string {
  let realPath: string;
  try {
    realPath = realpathSync(linkPath);
  } catch (error) {
    throw new ValidationError(
      `${label} is a symbolic link that leads nowhere (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): fix or remove it`,
      label,
    );
  }
  if (!isInside(realPath)) {
    throw new ValidationError(
      `${label} is a symbolic link to ${realPath}, outside the migrations folder: it was not read; copy the file into the folder instead`,
      label,
    );
  }
  return kindOf(statSync(realPath));
}
