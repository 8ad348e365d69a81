/**
 * Prisma Migrate: one folder per migration, `migrations/<timestamp>_<name>/migration.sql` (a
 * baselined history may start with `0_init/`), applied in folder-name order, next to a
 * `migration_lock.toml` naming the database provider. Its table `_prisma_migrations` has one row
 * per attempt, keyed by the folder name (migration_name) with the sha256 of migration.sql: applied
 * when finished_at is set and rolled_back_at is not; a row with neither is a failed run, after
 * which Prisma applies nothing more (P3009) until `prisma migrate resolve` records the outcome.
 * Prisma writes no down scripts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { ConfigError, ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { refusesTransaction, splitStatements } from '../source/statements';
import { readText, titleOf } from './folder';
import type { ConvertedMigration, SourceTool, ToolHistory } from './tool';

const TABLE = '_prisma_migrations';
const LOCK_FILE = 'migration_lock.toml';
const SCRIPT = 'migration.sql';
/** Prisma's own CHECKSUM_STR_LEN: shorter checksums are from engines that did not zero-pad each byte. */
const CHECKSUM_LENGTH = 64;

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished: boolean;
  rolled_back: boolean;
  started_at: string;
  logs: string | null;
}

export const prisma: SourceTool = {
  name: 'prisma',
  table: TABLE,
  layout: `<timestamp>_<name>/${SCRIPT} folders and ${LOCK_FILE}`,
  recognizes: (fileNames) => fileNames.includes(LOCK_FILE),

  convertFolder(dir) {
    refuseOtherProvider(dir);
    return migrationFolders(dir).map((folder): ConvertedMigration => {
      if (/\s/.test(folder)) {
        throw new ValidationError(
          `${folder} has a space in its name, which no Prisma migration name has: rename it as Prisma names them`,
          folder,
        );
      }
      const source = `${folder}/${SCRIPT}`;
      if (!existsSync(path.join(dir, source))) {
        throw new ValidationError(
          `${folder}/ has no ${SCRIPT}, which Prisma needs in each migration folder: add it, or move the folder out`,
          folder,
        );
      }
      const up = readText(dir, source);
      return { version: folder, title: titleOf(folder), sources: [source], up, inTransaction: runsInTransaction(up) };
    });
  },

  async readHistory(client) {
    await columnsOf(client, TABLE, 'Prisma');
    const { rows } = await client.query<HistoryRow>(
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back,
              started_at::text AS started_at, logs
         FROM ${TABLE} ORDER BY started_at, id`,
    );
    const checksums = new Map<string, string>();
    for (const row of rows) {
      if (row.finished && !row.rolled_back) checksums.set(row.migration_name, row.checksum);
    }
    refuseFailed(rows);
    return verifying(checksums);
  },
};

/**
 * Prisma sends the script as one query, which PostgreSQL runs as one transaction; a lone statement
 * that refuses one (CREATE INDEX CONCURRENTLY, written in by hand) it runs as it is, and so does
 * the imported file, with the marker.
 */
function runsInTransaction(script: string): boolean {
  const statements = splitStatements(script);
  return !(statements.length === 1 && refusesTransaction(statements[0]) !== undefined);
}

/** The migration folders, in Prisma's order: every subfolder (a link to one is not), by name. */
function migrationFolders(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new ConfigError(`cannot read the folder to import, ${dir}: ${(error as Error).message}`);
  }
  // Prisma's listMigrations sorts with localeCompare; 'en' keeps the order the same whatever the locale here.
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b, 'en'));
}

/** migration_lock.toml names the provider the scripts were written for: only PostgreSQL's run here. */
function refuseOtherProvider(dir: string): void {
  if (!existsSync(path.join(dir, LOCK_FILE))) return;
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(readText(dir, LOCK_FILE))?.[1];
  if (provider !== undefined && provider !== 'postgresql' && provider !== 'postgres') {
    throw new ValidationError(
      `${LOCK_FILE} says these migrations were written for provider "${provider}", not PostgreSQL: import the migrations of a PostgreSQL datasource`,
      LOCK_FILE,
    );
  }
}

/**
 * A run that neither finished nor was rolled back, with no later successful run of the same
 * migration: Prisma refuses to migrate further (P3009), and so does baseline.
 */
function refuseFailed(rows: HistoryRow[]): void {
  const failed = rows.find(
    (row, at) =>
      !row.finished &&
      !row.rolled_back &&
      !rows.slice(at + 1).some((later) => later.migration_name === row.migration_name && later.finished && !later.rolled_back),
  );
  if (!failed) return;
  const logs = failed.logs?.trim().split('\n')[0];
  throw new ValidationError(
    `Prisma's run of ${failed.migration_name} (started ${failed.started_at}) failed: its row in ${TABLE} has neither finished_at nor rolled_back_at` +
      `${logs ? ` (logs: ${logs})` : ''}, and Prisma itself applies nothing more until it is resolved (P3009). ` +
      `Repair the database by hand, record the outcome with prisma migrate resolve --applied ${failed.migration_name} ` +
      `(its changes are in place) or --rolled-back ${failed.migration_name} (they are not), then baseline again`,
  );
}

function verifying(checksums: Map<string, string>): ToolHistory {
  return {
    recorded: [...checksums.keys()],
    isApplied: (version) => checksums.has(version),
    earlierImplied: false,
    verify(version, script, fileName) {
      const checksum = checksums.get(version);
      if (checksum === undefined || matchesChecksum(script, checksum)) return;
      throw new ValidationError(
        `versioned/${fileName} is not the script Prisma applied as ${version}: its text (after the header import wrote) does not have the checksum ` +
          `${TABLE} records (${checksum}). Import the migration folder as it was when Prisma applied it, or, if the change is meant, ` +
          'put it in a new migration',
        fileName,
      );
    },
  };
}

/**
 * Prisma's own comparison (schema-engine's checksum.rs): the sha256 of the script as it is, with
 * CRLF made LF, or with LF made CRLF (git may have changed the line endings since), in hex with
 * each byte zero-padded, or not for a checksum written by the older engines. Import left out a
 * byte order mark, which Prisma hashed with the rest: the script with one matches too.
 */
function matchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')].flatMap((text) => [text, `\uFEFF${text}`]);
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const hex =
      checksum.length !== CHECKSUM_LENGTH && checksum !== ''
        ? [...digest].map((byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return hex === checksum;
  });
}
