/** What every phase receives, how a step is retried after a lock timeout, and how a failing step is reported. */
import type pg from 'pg';
import { errorCode, errorMessage, isConnectionLost } from '../db/client';
import { describeLockWait, type LockWatcher } from '../db/lock-watch';
import { describeSqlFailure, formatLocation } from '../db/sql-error';
import { DatabaseUnavailableError, InterruptedError, MigrationFailedError } from '../errors';
import type { PhaseName } from '../results';
import type { Logger } from '../log';
import { sleep } from '../sleep';

export interface PhaseContext {
  /** The run's one connection; it holds the migration lock. */
  client: pg.Client;
  /** A child logger with this phase's name bound to every line. */
  logger: Logger;
  /** How many times a step that hit lock_timeout is tried again. */
  lockRetries: number;
  /** Present when a lock timeout is set: tells what a timed-out step was waiting for. */
  lockWatcher?: LockWatcher;
  signal?: AbortSignal;
}

export interface Step {
  phase: PhaseName;
  file: string;
  sql: string;
  /** How messages name a step that is not a file of its phase's folder (default: phase/file:line:column). */
  label?: string;
}

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Runs a step; when it gave up at lock_timeout (its transaction rolled back), waits and tries again,
 * up to lockRetries times, so that a migration yields to application traffic instead of queueing it.
 */
export async function withLockRetries<T>(
  context: PhaseContext,
  fileOf: () => string,
  run: () => Promise<T>,
  databaseErrorOf: (error: unknown) => unknown = (error) => error,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const lockTimedOut = errorCode(databaseErrorOf(error)) === LOCK_NOT_AVAILABLE;
      if (!lockTimedOut || attempt > context.lockRetries || context.signal?.aborted) throw error;
      const retryInMs = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
      const wait = context.lockWatcher?.lastWait();
      context.logger.warn(
        { file: fileOf(), attempt, retryInMs, ...(wait && { relation: wait.relation, blockingPids: wait.blockingPids }) },
        `lock timeout${wait ? ` (${describeLockWait(wait)})` : ''}: rolled back, trying again`,
      );
      await sleep(retryInMs, context.signal);
      InterruptedError.throwIfAborted(context.signal);
    }
  }
}

/** Classifies an error raised while a step ran: interrupted, connection lost, or the SQL failed. */
export function stepError(error: unknown, context: PhaseContext, step: Step, advice?: string): Error {
  if (context.signal?.aborted) return InterruptedError.from(context.signal);
  if (isConnectionLost(error)) {
    return new DatabaseUnavailableError(
      `lost the database connection while running ${step.label ?? `${step.phase}/${step.file}`}: ${errorMessage(error)}; its transaction was rolled back`,
      errorCode(error),
      { cause: error },
    );
  }
  const failure = describeSqlFailure(error, step.sql);
  let reason = errorMessage(error);
  if (failure.pgCode === LOCK_NOT_AVAILABLE) {
    const wait = context.lockWatcher?.lastWait();
    if (wait) Object.assign(failure, { relation: wait.relation, blockingPids: wait.blockingPids });
    reason += ` (${wait ? `${describeLockWait(wait)}; ` : ''}gave up after ${context.lockRetries + 1} attempts with MIGRATOR_LOCK_TIMEOUT)`;
  } else if (failure.pgCode === QUERY_CANCELED) {
    reason += ' (MIGRATOR_STATEMENT_TIMEOUT)';
  }
  return new MigrationFailedError(
    `${step.label ?? `${step.phase}/${formatLocation(step.file, failure)}`} failed: ${reason}; ${advice ?? 'its transaction was rolled back'}`,
    step.phase,
    step.file,
    failure,
    { cause: error },
  );
}
