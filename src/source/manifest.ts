/**
 * The versioned files' manifest: each .sql file's size, modification time, hash and transaction
 * marker, written once where the files can no longer change (an image build runs `migrator
 * manifest`), so that a start learns the hashes of thousands of applied files from one file and a
 * stat of each instead of reading and hashing every one of them.
 *
 * An entry counts only while its file has the size and modification time it recorded. Image layers
 * keep whole seconds only, so a time without a fraction of a second matches the recorded one's
 * second; any other time must match to the millisecond, as an edit gives a new one. Any other file, such as one in a folder mounted over the
 * image's, one added or edited after the manifest was written, or every file when the manifest is
 * missing or unreadable, is read and hashed as without a manifest. A file taken from the manifest
 * whose text is read later (to apply it, or to say how it changed) is hashed then, and refused if
 * it is not what the manifest recorded.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { isMigrationFile, migrationHash, runsInTransaction } from '../history';
import { readFolder } from './sql-text';

/** In MIGRATIONS_DIR, beside versioned/: a folder mounted over versioned/ alone leaves it in place, and its stat checks then fail. */
export const MANIFEST_FILE = '.versioned-manifest.json';
const FORMAT = 1;

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

/**
 * A lookup of the recorded entry for a file, undefined when the file's size or modification time is
 * not what the manifest recorded (or it has no entry); undefined as a whole when there is no usable
 * manifest in migrationsDir.
 */
export function readManifest(migrationsDir: string): ((fileName: string, filePath: string) => ManifestEntry | undefined) | undefined {
  let stored: StoredManifest;
  try {
    stored = JSON.parse(readFileSync(path.join(migrationsDir, MANIFEST_FILE), 'utf8')) as StoredManifest;
  } catch {
    // Missing or unreadable: the files are read, as without one.
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
    if (!stat?.isFile() || stat.size !== entry[0] || !sameTime(stat.mtimeMs, entry[1])) return undefined;
    return { hash: entry[2], inTransaction: entry[3] };
  };
}

/** Writes the manifest of migrationsDir/versioned (its .sql files; .js migrations are always run); returns how many files it lists. */
export function writeManifest(migrationsDir: string): { file: string; files: number } {
  const dir = path.join(migrationsDir, 'versioned');
  const names = readFolder(dir, 'versioned');
  if (!names) throw new ConfigError(`no versioned/ folder in ${migrationsDir}`, 'MIGRATIONS_DIR');
  const files: Record<string, StoredEntry> = {};
  for (const fileName of names.filter((name) => isMigrationFile(name) && /\.sql$/i.test(name)).sort()) {
    const filePath = path.join(dir, fileName);
    const stat = statSync(filePath);
    if (!stat.isFile()) continue;
    const bytes = readFileSync(filePath);
    files[fileName] = [bytes.length, stat.mtimeMs, migrationHash(fileName, bytes), runsInTransaction(bytes)];
  }
  const file = path.join(migrationsDir, MANIFEST_FILE);
  writeFileSync(file, `${JSON.stringify({ format: FORMAT, files } satisfies StoredManifest)}\n`);
  return { file, files: Object.keys(files).length };
}
