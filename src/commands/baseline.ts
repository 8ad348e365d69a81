/**
 * `baseline <id>`: records versioned migrations 1..id as applied without running them, for a
 * database whose schema was built by other means. Refuses when that would contradict the history.
 */
import type { MigratorConfig } from '../config';
import { ConfigError, ValidationError } from '../errors';
import { createLogger, type Logger } from '../log';
import { inTransaction } from '../db/transaction';
import { compareWithHistory, createHistoryStore } from '../history';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../with-database';

export interface BaselineOptions {
  logger?: Logger;
  signal?: AbortSignal;
}

/** Resolves with the file names recorded as applied. */
export async function baseline(config: MigratorConfig, id: number, options: BaselineOptions = {}): Promise<string[]> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const files = loadMigrationSet(config.migrationsDir);
  const last = files.versioned.length;
  if (!Number.isInteger(id) || id < 1 || id > last) {
    throw new ConfigError(`baseline needs a versioned migration id from 1 to ${last} (got ${id})`);
  }
  return withDatabase(config, { logger, signal: options.signal, writes: true }, async ({ client }) => {
    const store = createHistoryStore(client, files.versionedDir);
    const { pending } = compareWithHistory(files.versioned, await store.read());
    const current = files.versioned.length - pending.length;
    if (current >= id) {
      throw new ValidationError(`the history already records migrations up to ${current}: nothing to baseline up to ${id}`);
    }
    const toRecord = pending.filter((file) => file.id <= id);
    await store.ensureTable();
    await inTransaction(client, () => store.record(toRecord));
    for (const file of toRecord) logger.info({ phase: 'versioned', file: file.fileName, version: file.id }, 'migration recorded as applied (baseline)');
    return toRecord.map((file) => file.fileName);
  });
}
