/**
 * `up`: read the migration files, then, on one locked connection, run the three phases in order.
 * Returns a report; otherwise throws a MigratorError subclass carrying the partial report.
 */
import type { MigratorConfig } from '../config';
import { MigratorError } from '../errors';
import { createLogger, type Logger } from '../log';
import { runLegacyPhase } from '../phases/legacy';
import type { PhaseContext } from '../phases/phase';
import { runTablesPhase } from '../phases/tables';
import { runVersionedPhase } from '../phases/versioned';
import type { MigrationReport, PartialReport, PhaseName } from '../results';
import { loadMigrationSet } from '../source';
import { withDatabase } from '../with-database';
import { runBackup } from './backup';
import { planOnClient } from './plan';
import { now } from '../clock';

export interface MigrateOptions {
  /** Receives every event; a child logger per phase is derived from it. Default: JSON to stdout. */
  logger?: Logger;
  /** Aborting cancels the running statement (rolled back), releases the lock and rejects. */
  signal?: AbortSignal;
  /** The phases to run (default: all three). `generate` builds schemas from one phase alone. */
  phases?: PhaseName[];
}

export async function migrate(config: MigratorConfig, options: MigrateOptions = {}): Promise<MigrationReport> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const { signal } = options;
  const started = now();
  const partial: PartialReport = { durationMs: 0 };
  const elapsed = () => Math.round(now() - started);
  try {
    const files = loadMigrationSet(config.migrationsDir);
    await withDatabase(config, { logger, signal, writes: true }, async ({ client, lockWatcher }) => {
      const context = (phase: string): PhaseContext => ({
        client,
        logger: logger.child({ phase }),
        lockRetries: config.lockRetries,
        lockWatcher,
        signal,
      });
      if (config.backupCommand) {
        const pending = await planOnClient(client, files, { logger, onAhead: config.onAhead, signal });
        if (pending.steps.length > 0) await runBackup(config.backupCommand, config.connection, logger);
      }
      const runs = (phase: PhaseName) => options.phases?.includes(phase) ?? true;
      partial.legacy = runs('legacy') ? await runLegacyPhase(context('legacy'), files) : { ran: [], changed: [], columnsAdded: [] };
      partial.tables = runs('tables') ? await runTablesPhase(context('tables'), files.tables) : { created: [], existing: [] };
      partial.versioned = runs('versioned') ? await runVersionedPhase(context('versioned'), files, config.onAhead) : { applied: [], currentVersion: 0, ahead: [] };
    });
    const { legacy, tables, versioned } = partial as Required<PartialReport>;
    const changed = legacy.changed.length + legacy.columnsAdded.length + tables.created.length + versioned.applied.length > 0;
    return { outcome: changed ? 'applied' : 'up-to-date', legacy, tables, versioned, durationMs: elapsed() };
  } catch (error) {
    partial.durationMs = elapsed();
    if (error instanceof MigratorError) error.report = partial;
    throw error;
  }
}
