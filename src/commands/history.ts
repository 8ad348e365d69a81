/** `history` and `verify`: what the database records, and whether the files still agree with it. */
import type { MigratorConfig } from '../config';
import { createLogger, type Logger } from '../log';
import type { AppliedMigration, VerifyReport } from '../results';
import { compareWithHistory, createHistoryStore } from '../history';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../with-database';

export interface ReadOptions {
  logger?: Logger;
  signal?: AbortSignal;
}

/** Applied versioned migrations, oldest first (the library's own row 0 left out). */
export async function history(config: MigratorConfig, options: ReadOptions = {}): Promise<AppliedMigration[]> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  return withDatabase(config, { logger, signal: options.signal, writes: false }, ({ client }) => createHistoryStore(client, undefined).read());
}

/**
 * Checks files against history by id: names, ids unique and consecutive, applied files unchanged
 * and present. Throws ValidationError naming the problem; resolves with counts otherwise.
 */
export async function verify(config: MigratorConfig, options: ReadOptions = {}): Promise<VerifyReport> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const files = loadMigrationSet(config.migrationsDir);
  return withDatabase(config, { logger, signal: options.signal, writes: false }, async ({ client }) => {
    const applied = await createHistoryStore(client, files.versionedDir).read();
    const { pending, ahead } = compareWithHistory(files.versioned, applied);
    return { files: files.versioned.length, applied: applied.length, pending: pending.length, ahead: ahead.map(({ id, name }) => ({ id, name })) };
  });
}
