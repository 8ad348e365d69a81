/**
 * `rollback`: runs down files (versioned/down/<same file name>) newest first, each in a transaction
 * together with the removal of its history row, so that postgres-migrations sees it as pending
 * again. Refuses, changing nothing, when any down file it would need is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MigratorConfig } from '../config';
import { inTransaction } from '../db/transaction';
import { ConfigError, ValidationError } from '../errors';
import { createLogger, type Logger } from '../log';
import { stepError, type PhaseContext } from '../phases/phase';
import { compareWithHistory, createHistoryStore } from '../history';
import { loadMigrationSet } from '../source';
import { decodeSqlText } from '../source/sql-text';
import { withDatabase } from '../with-database';
import { DOWN_FOLDER } from './new-migration';
import { now } from '../clock';

export type RollbackTarget = { steps: number } | { to: number };

export interface RollbackOptions {
  logger?: Logger;
  signal?: AbortSignal;
}

/** Resolves with the file names rolled back, newest first. */
export async function rollback(config: MigratorConfig, target: RollbackTarget, options: RollbackOptions = {}): Promise<string[]> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const files = loadMigrationSet(config.migrationsDir);
  if ('steps' in target && (!Number.isInteger(target.steps) || target.steps < 1)) throw new ConfigError('--steps needs a whole number of at least 1');
  if ('to' in target && (!Number.isInteger(target.to) || target.to < 0)) throw new ConfigError('--to needs a version id, 0 or more');

  return withDatabase(config, { logger, signal: options.signal, writes: true }, async ({ client, lockWatcher }) => {
    const store = createHistoryStore(client, files.versionedDir);
    const history = await store.read();
    const { ahead } = compareWithHistory(files.versioned, history);
    const appliedNewestFirst = history.map((row) => row.id).sort((a, b) => b - a);
    const ids = 'steps' in target ? appliedNewestFirst.slice(0, target.steps) : appliedNewestFirst.filter((id) => id > target.to);
    const unknown = ahead.filter((row) => ids.includes(row.id));
    if (unknown.length > 0) {
      throw new ValidationError(`cannot roll back ${unknown.map((row) => `${row.id} ${row.name}`).join(', ')}: these files are not in this release`);
    }
    const byId = new Map(files.versioned.map((file) => [file.id, file]));
    const steps = ids.map((id) => {
      const file = byId.get(id)!;
      return { file, down: path.join(files.versionedDir!, DOWN_FOLDER, file.fileName) };
    });
    const missing = steps.filter((step) => !existsSync(step.down));
    if (missing.length > 0) {
      throw new ValidationError(
        `no down file for ${missing.map((step) => step.file.fileName).join(', ')} (expected ${missing.map((step) => path.relative(config.migrationsDir, step.down)).join(', ')}): nothing was rolled back`,
      );
    }
    const downSql = steps.map((step) => decodeSqlText(`versioned/${DOWN_FOLDER}/${step.file.fileName}`, readFileSync(step.down)));

    const context: PhaseContext = { client, logger: logger.child({ phase: 'versioned' }), lockRetries: 0, lockWatcher, signal: options.signal };
    const rolledBack: string[] = [];
    for (const [index, { file }] of steps.entries()) {
      const started = now();
      try {
        await inTransaction(client, async () => {
          await client.query(downSql[index]);
          await store.remove(file.id);
        });
      } catch (error) {
        throw stepError(error, context, { phase: 'versioned', file: `${DOWN_FOLDER}/${file.fileName}`, sql: downSql[index] });
      }
      rolledBack.push(file.fileName);
      context.logger.info({ file: file.fileName, version: file.id, durationMs: Math.round(now() - started) }, 'migration rolled back');
    }
    return rolledBack;
  });
}
