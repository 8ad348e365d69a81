/**
 * Waiting for the database: containers start in any order and Kubernetes has no depends_on, so the
 * first connection is retried with capped exponential backoff until the wait timeout. A stop
 * (SIGTERM, SIGINT) ends the wait at once, a pending attempt included: a server that accepts the
 * connection and never answers would otherwise hold the run until the attempt's own timeout.
 */
import type pg from 'pg';
import { describeConnection, type ConnectionSettings } from '../config';
import { DatabaseUnavailableError, InterruptedError } from '../errors';
import type { Logger } from '../log';
import { sleep } from '../sleep';
import { createClient, errorCode, errorMessage, isPermanentConnectError, isTlsError } from './client';

export interface WaitOptions {
  /** 0: one attempt, no retry. */
  timeoutMs: number;
  logger: Logger;
  signal?: AbortSignal;
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;
const WARN_EVERY_MS = 5000;
/** One attempt waits at most this long for a TCP or TLS handshake, unless connect_timeout says otherwise. */
const MAX_ATTEMPT_MS = 10_000;

export async function connectWithRetry(settings: ConnectionSettings, options: WaitOptions): Promise<pg.Client> {
  const { timeoutMs, logger, signal } = options;
  const target = describeConnection(settings);
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  let lastWarning = started;
  for (let attempt = 1; ; attempt++) {
    throwIfStopped(signal);
    const remaining = timeoutMs - (Date.now() - started);
    const client = createClient(settings, Math.min(settings.connectTimeoutMs ?? MAX_ATTEMPT_MS, Math.max(remaining, 1000)));
    // Closing the socket makes node-postgres fail the attempt as a dropped connection; the stop is reported below.
    const closeSocket = () => client.connection.stream.destroy();
    signal?.addEventListener('abort', closeSocket, { once: true });
    try {
      await client.connect();
      throwIfStopped(signal); // stopped as it connected: the catch closes the client
      logger.debug({ attempt, target }, 'connected to database');
      return client;
    } catch (error) {
      client.removeAllListeners();
      await client.end().catch(() => undefined);
      throwIfStopped(signal);
      const code = errorCode(error);
      if (isPermanentConnectError(error)) {
        const hint = isTlsError(error)
          ? ` (PGSSLMODE=${settings.sslMode}: check PGSSLROOTCERT and that the host name is one the certificate names)`
          : '';
        throw new DatabaseUnavailableError(`database ${target} refused the connection: ${errorMessage(error)}${hint}`, code);
      }
      const elapsed = Date.now() - started;
      if (elapsed >= timeoutMs) {
        const within = timeoutMs === 0 ? '' : ` within ${timeoutMs / 1000}s (${attempt} attempts)`;
        throw new DatabaseUnavailableError(`database ${target} not reachable${within}: ${errorMessage(error)}`, code);
      }
      logger.debug({ attempt, target, code, error: errorMessage(error) }, 'database not reachable yet, retrying');
      if (Date.now() - lastWarning >= WARN_EVERY_MS) {
        lastWarning = Date.now();
        logger.warn({ attempt, target, waitedMs: elapsed, code, error: errorMessage(error) }, 'still waiting for the database');
      }
      await sleep(Math.min(delay, timeoutMs - elapsed), signal);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    } finally {
      signal?.removeEventListener('abort', closeSocket);
    }
  }
}

/** Nothing has been sent to the database before a connection exists: a stop here changed nothing. */
function throwIfStopped(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  throw InterruptedError.from(signal, 'while connecting to the database, nothing was changed');
}
