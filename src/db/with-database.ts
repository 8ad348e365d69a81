/**
 * The life of one connection for any command: connect (waiting for the database), prepare the
 * session, take the migration lock when the command writes (in shared mode when it only plans),
 * run the work, release, disconnect (or hand a kept connection back clean: KeptConnection).
 * Aborting the signal cancels whatever statement is running on the server.
 */
import type pg from 'pg';
import type { KeptConnection } from './kept-connection';
import type { MigratorConfig } from '../config';
import { watchAnswers, type AnswerWatch } from './answer-watch';
import { CANCEL_DEADLINE_MS, cancelBackend } from './cancel';
import { backendPid, errorCode, errorMessage, isConnectionLost, ServerNotAnsweringError } from './client';
import { connectWithRetry } from './connect';
import { acquireMigrationLock, migrationRunning, releaseMigrationLock, releaseSharedMigrationLock } from './lock';
import { watchLockWaits, type LockWatcher } from './lock-watch';
import { ownQueryFailure, sqlStateOf } from './query-failure';
import { prepareSession } from './session';
import { DatabaseUnavailableError, InterruptedError, MigratorError } from '../errors';
import type { Logger } from '../log';

const CANCEL_REPEAT_MS = 500;

export interface DatabaseSession {
  client: pg.Client;
  /** Whether the role may change the schema (read commands dry-run steps only then). */
  mayChangeSchema: boolean;
  /** Present for writing commands with MIGRATOR_LOCK_TIMEOUT: what a timed-out step waited for. */
  lockWatcher?: LockWatcher;
}

/**
 * The connections behind KeptConnection handles. A session uses the handle's connection when there
 * is one and otherwise connects and leaves its connection here. A session that succeeds hands it
 * back as it was at connect (DISCARD ALL: no setting, role, lock, temporary table or prepared
 * statement of a script outlives it); one that fails, is interrupted or cannot clean up closes it,
 * and the next session connects anew.
 */
const keptClients = new WeakMap<KeptConnection, pg.Client>();

/** The kept connection's client, when it has one. */
export function keptClient(kept: KeptConnection): pg.Client | undefined {
  return keptClients.get(kept);
}

/** Leaves `client` open behind the handle, for the next session (or its owner's quick look). */
export function keepClient(kept: KeptConnection, client: pg.Client): void {
  keptClients.set(kept, client);
}

/** Closes the kept connection, if any: the owner is done with it. */
export async function closeKept(kept: KeptConnection): Promise<void> {
  const client = keptClients.get(kept);
  keptClients.delete(kept);
  await client?.end().catch(() => undefined);
}

export interface SessionOptions {
  logger: Logger;
  /** Use and keep this connection rather than open one and close it. */
  kept?: KeptConnection;
  signal?: AbortSignal;
  /** Writing commands hold the migration lock and need a writable session. */
  writes: boolean;
  /**
   * Read commands that plan hold the lock in shared mode, so that their planning transaction (a
   * snapshot, dry runs that lock tables) never meets a running migration's concurrent index build:
   * while a writer holds the lock they 'wait' for it (as a writer waits: MIGRATOR_LOCK_WAIT, exit 5)
   * or 'refuse' (MigrationRunningError) without planning.
   */
  whileMigrating?: 'wait' | 'refuse';
}

export async function withDatabase<T>(
  config: MigratorConfig,
  options: SessionOptions,
  work: (session: DatabaseSession) => Promise<T>,
): Promise<T> {
  const { logger, signal } = options;
  let client: pg.Client | undefined;
  let answers: AnswerWatch | undefined;
  let lockWatcher: LockWatcher | undefined;
  // A cancel request only stops a statement that is running, so repeat it until the work has unwound.
  // One the server does not answer means it cannot roll back now either: the connection is closed,
  // so that the run ends within the stop grace instead of waiting for the server.
  let cancelling: NodeJS.Timeout | undefined;
  const cancel = () => {
    const pid = client && backendPid(client);
    if (pid === undefined) return;
    const request = () =>
      void cancelBackend(config.connection, pid).then((cancelled) => {
        if (cancelled === undefined) answers?.giveUp(`a cancel request got no answer within ${CANCEL_DEADLINE_MS / 1000} s`);
      });
    request();
    cancelling = setInterval(request, CANCEL_REPEAT_MS);
  };
  // What the session was doing, for the message when its connection is lost outside a step
  // (a step's own failure says what became of it).
  let doing = 'preparing the session, so nothing was changed';
  const { kept } = options;
  let reusable = false;
  // An idle connection that breaks emits 'error'; the next query then fails and is reported.
  const onError = (error: Error) => logger.debug({ error: error.message }, 'database connection error');
  try {
    client =
      (kept && keptClients.get(kept)) ?? (await connectWithRetry(config.connection, { timeoutMs: config.waitTimeoutMs, logger, signal }));
    if (kept) keptClients.set(kept, client);
    answers = watchAnswers(client, config.connection, logger);
    client.on('error', onError);
    signal?.addEventListener('abort', cancel, { once: true });
    InterruptedError.throwIfAborted(signal);
    const { whileMigrating } = options;
    const shared = !options.writes && whileMigrating !== undefined;
    const session = await prepareSession(client, { ...config, requireWritable: options.writes, sharedLock: shared }, logger);
    doing = 'reading the database';
    if (!options.writes) {
      if (!shared) {
        const result = await work({ client, mayChangeSchema: session.mayChangeSchema });
        reusable = true;
        return result;
      }
      if (session.locked === false && whileMigrating === 'refuse') throw await migrationRunning(client);
      doing = 'waiting for a running migration to end, so nothing was changed';
      await acquireMigrationLock(client, { waitMs: config.lockWaitMs, logger, signal, tried: session.locked, shared });
      doing = 'reading the database';
      const result = await work({ client, mayChangeSchema: session.mayChangeSchema });
      // On failure the session's end releases the lock; after a plan, releasing it also checks it was still held.
      await releaseSharedMigrationLock(client);
      reusable = true;
      return result;
    }

    doing = 'waiting for the migration lock, so nothing was changed';
    await acquireMigrationLock(client, { waitMs: config.lockWaitMs, logger, signal, tried: session.locked });
    doing = 'holding the migration lock, between steps';
    try {
      const pid = backendPid(client);
      if (config.lockTimeoutMs && pid !== undefined) {
        lockWatcher = watchLockWaits(config.connection, pid, Math.max(50, Math.min(config.lockTimeoutMs / 2, 1000)));
      }
      const result = await work({ client, mayChangeSchema: session.mayChangeSchema, lockWatcher });
      reusable = true;
      return result;
    } finally {
      await releaseMigrationLock(client).catch(() => undefined);
    }
  } catch (error) {
    if (signal?.aborted && !(error instanceof InterruptedError)) throw InterruptedError.from(signal);
    if (!(error instanceof MigratorError) && isConnectionLost(error)) {
      const what = error instanceof ServerNotAnsweringError ? error.message : `lost the database connection (${errorMessage(error)})`;
      throw new DatabaseUnavailableError(`${what} while ${doing}`, errorCode(error), { cause: error });
    }
    const sqlState = sqlStateOf(error);
    if (!(error instanceof MigratorError) && sqlState) throw ownQueryFailure(error as Error, sqlState, doing);
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    clearInterval(cancelling);
    await lockWatcher?.stop();
    if (kept && reusable && !signal?.aborted && client) reusable = await discardSessionState(client, logger);
    answers?.stop();
    client?.off('error', onError);
    if (!(kept && reusable)) {
      if (kept) keptClients.delete(kept);
      // end() sends Terminate at once (the lock is already released); its promise only waits for the
      // server to close the socket, which tells us nothing and would delay every start.
      void client?.end().catch(() => undefined);
    }
  }
}

/** Whether the session is back as it was at connect, ready for the next one. */
async function discardSessionState(client: pg.Client, logger: Logger): Promise<boolean> {
  try {
    await client.query('DISCARD ALL');
    return true;
  } catch (error) {
    logger.debug({ error: errorMessage(error) }, 'could not reset the kept connection: closing it');
    return false;
  }
}
