/**
 * Drizzle (drizzle-kit's files, drizzle-orm's migrate()), in its two layouts. Before 1.0:
 * `<out>/<NNNN>_<tag>.sql` files listed, in order, by `meta/_journal.json` (`entries[].{idx, when,
 * tag, breakpoints}`), and a table `drizzle.__drizzle_migrations(id, hash, created_at)` whose rows
 * keep the sha256 of the file and the entry's `when`: drizzle applies each entry whose `when` is
 * after the newest row's created_at. From 1.0: one folder per migration,
 * `<out>/<YYYYMMDDHHMMSS>_<name>/migration.sql`, in folder-name order, and the table gains `name`
 * (the folder) and `applied_at`: drizzle applies each folder no row names. Both layouts split a
 * file on `--> statement-breakpoint` lines (SQL comments, so the file runs as it is) and run every
 * pending migration in one transaction: no failed run leaves a row, and no file runs outside a
 * transaction. Drizzle writes no down scripts.
 *
 * The version in the origin header is what the history keys a migration by: the entry's `when`
 * before 1.0, the folder name from 1.0.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ConfigError, ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { readText, titleOf } from './folder';
import type { ConvertedMigration, SourceTool, ToolHistory } from './tool';

const TABLE = 'drizzle.__drizzle_migrations';
const JOURNAL = 'meta/_journal.json';
const SCRIPT = 'migration.sql';
const KIT_FILE = /^\d{4}_[a-z]+(?:_[a-z0-9]+)*\.sql$/;
const BREAKPOINT = '--> statement-breakpoint';
/** drizzle-kit's journal names the dialect: "postgresql", or "pg" in its older releases. */
const POSTGRES_DIALECTS = ['postgresql', 'pg'];

interface JournalEntry {
  when: number;
  tag: string;
}

interface HistoryRow {
  id: number;
  hash: string;
  created_at: string | null;
  name?: string | null;
}

export const drizzle: SourceTool = {
  name: 'drizzle',
  table: TABLE,
  layout: `<NNNN>_<tag>.sql files with ${JOURNAL} (or, from drizzle-kit 1.0, <timestamp>_<name>/${SCRIPT} folders)`,
  // Folder validation sees files only (not meta/): a drizzle-kit name (0003_brave_sentinel.sql), with breakpoints in its text.
  recognizes: (fileNames, read) => fileNames.some((name) => KIT_FILE.test(name) && read(name).includes(BREAKPOINT)),

  convertFolder(dir) {
    return existsSync(path.join(dir, JOURNAL)) ? journalMigrations(dir) : folderMigrations(dir);
  },

  async readHistory(client) {
    const columns = await columnsOf(client, TABLE, 'Drizzle');
    return columns.includes('name') ? namedHistory(client) : journalHistory(client);
  },
};

/** Before 1.0: the journal's entries, in its order, as drizzle's readMigrationFiles reads them. */
function journalMigrations(dir: string): ConvertedMigration[] {
  const entries = readJournal(dir);
  const listed = new Set(entries.map((entry) => `${entry.tag}.sql`));
  const unlisted = readdirSync(dir).find((name) => name.toLowerCase().endsWith('.sql') && !listed.has(name));
  if (unlisted) {
    throw new ValidationError(
      `${unlisted} is not in ${JOURNAL}, so drizzle never runs it: add it with drizzle-kit generate (--custom for hand-written SQL), or move it out of the folder`,
      unlisted,
    );
  }
  const seen = new Map<number, string>();
  return entries.map(({ when, tag }): ConvertedMigration => {
    const source = `${tag}.sql`;
    const earlier = seen.get(when);
    if (earlier) {
      throw new ValidationError(
        `${JOURNAL} gives ${earlier} and ${tag} the same when (${when}), which ${TABLE} keeps as the only trace of each: give ${tag} a later when`,
        source,
      );
    }
    seen.set(when, tag);
    if (!existsSync(path.join(dir, source))) {
      throw new ValidationError(
        `${JOURNAL} lists ${tag}, but there is no ${source}, without which drizzle stops too: restore the file (from version control), or remove its entry with drizzle-kit drop`,
        source,
      );
    }
    return { version: String(when), title: titleOf(tag), sources: [source], up: readText(dir, source), inTransaction: true };
  });
}

function readJournal(dir: string): JournalEntry[] {
  let journal: { dialect?: unknown; entries?: unknown };
  try {
    journal = JSON.parse(readText(dir, JOURNAL)) as typeof journal;
  } catch (error) {
    throw new ValidationError(`${JOURNAL} is not JSON (${(error as Error).message}): restore it as drizzle-kit wrote it`, JOURNAL);
  }
  if (typeof journal.dialect === 'string' && !POSTGRES_DIALECTS.includes(journal.dialect)) {
    throw new ValidationError(
      `${JOURNAL} says these migrations were written for dialect "${journal.dialect}", not PostgreSQL: import the migrations of a PostgreSQL database`,
      JOURNAL,
    );
  }
  const entries = Array.isArray(journal.entries) ? (journal.entries as unknown[]) : undefined;
  const wellFormed = (entry: unknown): entry is JournalEntry => {
    const { when, tag } = (entry ?? {}) as Partial<JournalEntry>;
    return Number.isSafeInteger(when) && typeof tag === 'string' && /^[^/\\]+$/.test(tag) && !tag.startsWith('.');
  };
  const bad = entries?.findIndex((entry) => !wellFormed(entry));
  if (entries === undefined || bad !== -1) {
    throw new ValidationError(
      `${JOURNAL} ${entries === undefined ? 'has no entries list' : `entry ${bad} has no whole-number when or no file tag`}: restore it as drizzle-kit wrote it`,
      JOURNAL,
    );
  }
  return entries as JournalEntry[];
}

/** From 1.0: every subfolder, by name, as drizzle's readMigrationFiles sorts them. */
function folderMigrations(dir: string): ConvertedMigration[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new ConfigError(`cannot read the folder to import, ${dir}: ${(error as Error).message}`);
  }
  const loose = entries.find((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.sql'));
  if (loose) {
    throw new ValidationError(
      `${loose.name} is a drizzle-kit file of before 1.0, but there is no ${JOURNAL}, which gives their order: import the whole folder drizzle-kit writes (its out folder, with meta/)`,
      loose.name,
    );
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en'))
    .map((folder): ConvertedMigration => {
      const source = `${folder}/${SCRIPT}`;
      if (!existsSync(path.join(dir, source))) {
        throw new ValidationError(
          `${folder}/ has no ${SCRIPT}, so drizzle would pass it by: add its ${SCRIPT}, or move the folder out`,
          folder,
        );
      }
      return { version: folder, title: titleOf(folder), sources: [source], up: readText(dir, source), inTransaction: true };
    });
}

/**
 * Before 1.0 the table keys a migration by created_at, the journal's when: every entry up to the
 * newest row's counts as applied, as drizzle skips them all; one without a row of its own drizzle
 * skipped without running it, which verify refuses.
 */
async function journalHistory(client: pg.Client): Promise<ToolHistory> {
  const { rows } = await client.query<HistoryRow>(`SELECT id, hash, created_at::text AS created_at FROM ${TABLE} ORDER BY id`);
  const recorded = rows.filter((row) => row.created_at !== null);
  const newest = recorded.reduce<bigint | undefined>((max, row) => {
    const when = BigInt(row.created_at!);
    return max === undefined || when > max ? when : max;
  }, undefined);
  const hashes = new Map<string, string[]>();
  for (const row of recorded) hashes.set(row.created_at!, [...(hashes.get(row.created_at!) ?? []), row.hash]);
  return {
    recorded: [...hashes.keys()],
    isApplied: (version) => /^\d+$/.test(version) && newest !== undefined && BigInt(version) <= newest,
    earlierImplied: false,
    verify(version, script, fileName) {
      const recordedHashes = hashes.get(version);
      if (recordedHashes === undefined) {
        throw new ValidationError(
          `versioned/${fileName} (drizzle when ${version}) has no row in ${TABLE}, yet the newest row's created_at (${newest}) is later, ` +
            'so drizzle passed it by without running it (drizzle-kit generated it on a branch merged after a later one was applied). ' +
            'If its changes are not in the database, give its journal entry a when after the newest and import again, so that up applies it; ' +
            `if they are, record it as drizzle would: INSERT INTO ${TABLE} (hash, created_at) VALUES ('<sha256 of the file>', ${version})`,
          fileName,
        );
      }
      refuseOtherScript(version, script, fileName, recordedHashes);
    },
  };
}

/** From 1.0 the table keys a migration by name, the folder. */
async function namedHistory(client: pg.Client): Promise<ToolHistory> {
  const { rows } = await client.query<HistoryRow>(`SELECT id, hash, created_at::text AS created_at, name FROM ${TABLE} ORDER BY id`);
  const unnamed = rows.find((row) => row.name === null);
  if (unnamed) {
    throw new ValidationError(
      `the row of ${TABLE} with id ${unnamed.id} has no name, so neither drizzle 1.0 nor baseline can tell which migration it records: ` +
        `set its name to that migration's folder name (the file with the sha256 ${unnamed.hash}), then baseline again`,
    );
  }
  const hashes = new Map<string, string[]>();
  for (const row of rows) hashes.set(row.name!, [...(hashes.get(row.name!) ?? []), row.hash]);
  return {
    recorded: [...hashes.keys()],
    isApplied: (version) => hashes.has(version),
    earlierImplied: false,
    verify(version, script, fileName) {
      const recordedHashes = hashes.get(version);
      if (recordedHashes !== undefined) refuseOtherScript(version, script, fileName, recordedHashes);
    },
  };
}

function refuseOtherScript(version: string, script: string, fileName: string, hashes: string[]): void {
  if (hashes.some((hash) => matchesHash(script, hash))) return;
  throw new ValidationError(
    `versioned/${fileName} is not the file drizzle applied as ${version}: its text (after the header import wrote) does not have the sha256 ` +
      `${TABLE} records (${hashes.join(', ')}). Import the migrations folder as it was when drizzle applied it, or, if the change is meant, ` +
      'put it in a new migration',
    fileName,
  );
}

/**
 * Drizzle's hash: the sha256 of the file as read, in hex. git may have changed its line endings
 * since (CRLF made LF, or LF made CRLF), and import left out a byte order mark, which drizzle
 * hashed with the rest: those variants match too.
 */
function matchesHash(script: string, hash: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')].flatMap((text) => [text, `\uFEFF${text}`]);
  return variants.some((variant) => createHash('sha256').update(variant, 'utf8').digest('hex') === hash);
}
