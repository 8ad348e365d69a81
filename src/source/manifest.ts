/**
 * The versioned files' manifest: each .sql file's size, modification time, hash and transaction
 * marker, written once where the files can no longer change (an image build runs `migrator
 * manifest`), so that a start learns the hashes of thousands of applied files from one file and a
 * stat of each instead of reading and hashing every one of them.
 *
 * It lives inside versioned/ (as a hidden file): a folder mounted over versioned/, or over the
 * whole migrations folder, replaces it with the folder's own or with none, so a manifest never
 * speaks for files it did not describe.
 *
 * An entry counts only while its file has the size and modification time it recorded, and its
 * status last changed (ctime) no later than the manifest was written. Size and time alone can be
 * kept by an edit (`touch -r`); the change time cannot be set back by anyone but the clock, and an
 * image keeps the order the build wrote things in (the manifest's layer is unpacked after the
 * files'). Image layers keep whole seconds only, so a modification time without a fraction of a
 * second matches the recorded one's second; any other time must match to the millisecond. Any
 * other file (added, edited, copied or restored after the manifest; every file when the manifest
 * is missing or unreadable) is read and hashed as without a manifest. A file taken from the
 * manifest whose text is read later (to apply it, or to say how it changed) is hashed then, and
 * refused if it is not what the manifest recorded. `verify` never uses it.
 */
import { fstatSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { isMigrationFile, migrationHash, runsInTransaction } from '../history/files';
import { listPhaseFolder } from './folder-entries';
import { READ_WITHOUT_WAITING, readBytes } from './sql-text';

/** In versioned/, hidden: see above for why it is not beside the folder. */
export const MANIFEST_FILE = '.versioned-manifest.json';
const FORMAT = 2;

export interface ManifestEntry {
  hash: string;
  inTransaction: boolean;
}

/** [size, mtimeMs, hash, inTransaction] by file name. */
type StoredEntry = [number, number, string, boolean];

interface StoredManifest {
  format: number;
  files: Record<string, StoredEntry>;
}

function sameTime(now: number, recorded: number): boolean {
  return now === recorded || (now % 1000 === 0 && now === Math.floor(recorded / 1000) * 1000);
}

/** The manifest's text and the time it was written (its change time), undefined when it is missing or unreadable. */
function readStored(file: string): { text: string; writtenMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ_WITHOUT_WAITING);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() ? { text: readFileSync(fd, 'utf8'), writtenMs: stat.ctimeMs } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * A lookup of the recorded entry for a file, undefined when the file's size or modification time is
 * not what the manifest recorded, it changed after the manifest was written, or it has no entry;
 * undefined as a whole when versionedDir holds no usable manifest.
 */
export function readManifest(versionedDir: string): ((fileName: string, filePath: string) => ManifestEntry | undefined) | undefined {
  const found = readStored(path.join(versionedDir, MANIFEST_FILE));
  if (!found) return undefined;
  let stored: StoredManifest;
  try {
    stored = JSON.parse(found.text) as StoredManifest;
  } catch {
    return undefined;
  }
  if (stored?.format !== FORMAT || typeof stored.files !== 'object' || stored.files === null) return undefined;
  const files = new Map(Object.entries(stored.files));
  return (fileName, filePath) => {
    const entry = files.get(fileName);
    if (
      !Array.isArray(entry) ||
      entry.length !== 4 ||
      typeof entry[1] !== 'number' ||
      typeof entry[2] !== 'string' ||
      typeof entry[3] !== 'boolean'
    )
      return undefined;
    const stat = statSync(filePath, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size !== entry[0] || !sameTime(stat.mtimeMs, entry[1]) || stat.ctimeMs > found.writtenMs) return undefined;
    return { hash: entry[2], inTransaction: entry[3] };
  };
}

/** Writes the manifest of migrationsDir/versioned (its .sql files; .js migrations are always run); returns how many files it lists. */
export function writeManifest(migrationsDir: string): { file: string; files: number } {
  const listing = listPhaseFolder(migrationsDir, 'versioned', isMigrationFile);
  if (!listing) throw new ConfigError(`no versioned/ folder in ${migrationsDir}`, 'MIGRATIONS_DIR');
  const files: Record<string, StoredEntry> = {};
  for (const fileName of listing.names.filter((name) => /\.sql$/i.test(name)).sort()) {
    const filePath = path.join(listing.dir, fileName);
    const stat = statSync(filePath);
    const bytes = readBytes(`versioned/${fileName}`, filePath);
    files[fileName] = [bytes.length, stat.mtimeMs, migrationHash(fileName, bytes), runsInTransaction(bytes)];
  }
  const file = path.join(listing.dir, MANIFEST_FILE);
  writeFileSync(file, `${JSON.stringify({ format: FORMAT, files } satisfies StoredManifest)}\n`);
  return { file, files: Object.keys(files).length };
}
