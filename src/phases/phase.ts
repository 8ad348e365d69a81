/** What every phase receives, and how a failing step is reported the same way in all three. */
import type pg from 'pg';
import { isConnectionLost, errorCode, errorMessage } from '../db/client';
import { describeSqlFailure, formatLocation } from '../db/sql-error';
import { DatabaseUnavailableError, InterruptedError, MigrationFailedError, type PhaseName } from '../errors';
import type { Logger } from '../log';

export interface PhaseContext {
  /** The run's one connection; it holds the migration lock. */
  client: pg.Client;
  /** A child logger with this phase's name bound to every line. */
  logger: Logger;
  signal?: AbortSignal;
}

/** Classifies an error raised while a step ran: interrupted, connection lost, or the SQL failed. */
export function stepError(
  error: unknown,
  step: { phase: PhaseName; file: string; sql: string; signal?: AbortSignal },
): Error {
  if (step.signal?.aborted) return InterruptedError.from(step.signal);
  if (isConnectionLost(error)) {
    return new DatabaseUnavailableError(
      `lost the database connection while running ${step.phase}/${step.file}: ${errorMessage(error)}; its transaction was rolled back`,
      errorCode(error),
      { cause: error },
    );
  }
  const failure = describeSqlFailure(error, step.sql);
  return new MigrationFailedError(
    `${step.phase}/${formatLocation(step.file, failure)} failed: ${errorMessage(error)}; its transaction was rolled back`,
    step.phase,
    step.file,
    failure,
    { cause: error },
  );
}
