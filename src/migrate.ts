/**
 * `up`: read the migration files, connect (waiting for the database), take the migration lock, run
 * the three phases in order, release. Returns a report; otherwise throws a MigratorError subclass
 * carrying the partial report.
 */
import type pg from 'pg';
import { describeConnection, type MigratorConfig } from './config';
import { cancelBackend } from './db/cancel';
import { backendPid } from './db/client';
import { connectWithRetry } from './db/connect';
import { acquireMigrationLock, releaseMigrationLock } from './db/lock';
import { watchLockWaits, type LockWatcher } from './db/lock-watch';
import { prepareSession } from './db/session';
import { InterruptedError, MigratorError } from './errors';
import { createLogger, type Logger } from './log';
import { runLegacyPhase } from './phases/legacy';
import type { PhaseContext } from './phases/phase';
import { runTablesPhase } from './phases/tables';
import { runVersionedPhase } from './phases/versioned';
import type { MigrationReport, PartialReport } from './report';
import { loadMigrationSet } from './source';

const CANCEL_REPEAT_MS = 500;

export interface MigrateOptions {
  /** Receives every event; a child logger per phase is derived from it. Default: JSON to stdout. */
  logger?: Logger;
  /** Aborting cancels the running statement (rolled back), releases the lock and rejects. */
  signal?: AbortSignal;
}

export async function migrate(config: MigratorConfig, options: MigrateOptions = {}): Promise<MigrationReport> {
  const logger = options.logger ?? createLogger({ ...config.log, format: 'json' });
  const { signal } = options;
  const started = performance.now();
  const partial: PartialReport = { durationMs: 0 };
  const elapsed = () => Math.round(performance.now() - started);
  let client: pg.Client | undefined;
  let lockWatcher: LockWatcher | undefined;
  // A cancel request only stops a statement that is running, so repeat it until the run has unwound.
  let cancelling: NodeJS.Timeout | undefined;
  const cancel = () => {
    const pid = client && backendPid(client);
    if (pid === undefined) return;
    void cancelBackend(config.connection, pid);
    cancelling = setInterval(() => void cancelBackend(config.connection, pid), CANCEL_REPEAT_MS);
  };
  try {
    const files = await loadMigrationSet(config.migrationsDir);
    client = await connectWithRetry(config.connection, { timeoutMs: config.waitTimeoutMs, logger, signal });
    // An idle connection that breaks emits 'error'; the next query then fails and is reported.
    client.on('error', (error) => logger.debug({ error: error.message }, 'database connection error'));
    signal?.addEventListener('abort', cancel, { once: true });
    InterruptedError.throwIfAborted(signal);
    await prepareSession(client, config);
    logger.debug({ target: describeConnection(config.connection) }, 'acquiring migration lock');
    await acquireMigrationLock(client, config.lockWaitMs, logger);
    try {
      const pid = backendPid(client);
      if (config.lockTimeoutMs && pid !== undefined) {
        lockWatcher = watchLockWaits(config.connection, pid, Math.max(50, Math.min(config.lockTimeoutMs / 2, 1000)));
      }
      const context = (phase: string): PhaseContext => ({
        client: client!,
        logger: logger.child({ phase }),
        lockRetries: config.lockRetries,
        lockWatcher,
        signal,
      });
      partial.legacy = await runLegacyPhase(context('legacy'), files.legacy);
      partial.tables = await runTablesPhase(context('tables'), files.tables);
      partial.versioned = await runVersionedPhase(context('versioned'), files, config.onAhead);
    } finally {
      await releaseMigrationLock(client).catch(() => undefined);
    }
    const { legacy, tables, versioned } = partial as Required<PartialReport>;
    const changed = legacy.changed.length + tables.created.length + versioned.applied.length > 0;
    return { outcome: changed ? 'applied' : 'up-to-date', legacy, tables, versioned, durationMs: elapsed() };
  } catch (error) {
    partial.durationMs = elapsed();
    const reported = signal?.aborted && !(error instanceof InterruptedError) ? InterruptedError.from(signal) : error;
    if (reported instanceof MigratorError) reported.report = partial;
    throw reported;
  } finally {
    signal?.removeEventListener('abort', cancel);
    clearInterval(cancelling);
    await lockWatcher?.stop();
    await client?.end().catch(() => undefined);
  }
}
