/**
 * The only module that touches postgres-migrations, so that it could be replaced. The library
 * applies versioned files (one transaction each unless a file opts out with
 * "-- postgres-migrations disable-transaction") and records them in its `migrations` table.
 *
 * Its edges, handled here and by our own validation before it runs: it reports failures as plain
 * Errors holding only a message, so we keep the last PostgreSQL error ourselves; it reports
 * progress only as log strings, which we turn into per-migration events; it waits for each of
 * its four queries per file, which batched-queries.ts sends as one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { batchedQueries } from './batched-queries';

/** A file containing this line runs without a transaction (the library's rule). */
export const NO_TRANSACTION_MARKER = '-- postgres-migrations disable-transaction';

/** The library's history table; its name cannot be configured. */
export const HISTORY_TABLE = 'migrations';

export interface ApplyHooks {
  onStart(id: number): void;
  onFinish(id: number): void;
}

export class LibraryRunError extends Error {
  constructor(
    message: string,
    /** The migration that was running when it failed, if one was. */
    readonly migrationId: number | undefined,
    /** The error PostgreSQL (or the connection) raised, with its code and position. */
    readonly databaseError: unknown,
  ) {
    super(message);
  }
}

const STARTING = /^Starting migration: (-?\d+) /;
const FINISHED = /^Finished migration: (-?\d+) /;

/** Applies every pending file of dir through the library, on our connection (which holds our lock). */
export async function applyPending(
  client: pg.Client,
  dir: string,
  hooks: ApplyHooks,
  signal?: AbortSignal,
): Promise<void> {
  let running: number | undefined;
  // The first error of the run: the library's clean-up (ROLLBACK, unlock) may fail after it, too.
  let databaseError: unknown;
  const batched = batchedQueries(
    (query) =>
      client.query(query).catch((error: unknown) => {
        databaseError ??= error;
        throw error;
      }),
    (value) => client.escapeLiteral(value),
  );
  const tracked = {
    query: (query: string | pg.QueryConfig) => {
      // Once a stop is asked for, only the library's clean-up (ROLLBACK, unlock) may still run.
      if (signal?.aborted && typeof query === 'string' && !/^(ROLLBACK|SELECT pg_advisory_unlock)/.test(query)) {
        return Promise.reject(new Error('stopped before the next statement'));
      }
      return batched.query(query);
    },
  };
  const logger = (message: string) => {
    const started = STARTING.exec(message);
    if (started) {
      running = Number(started[1]);
      hooks.onStart(running);
      return;
    }
    const finished = FINISHED.exec(message);
    if (finished) {
      running = undefined;
      hooks.onFinish(Number(finished[1]));
    }
  };
  // Loaded only when something is pending: a start with nothing to do never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const library = require('postgres-migrations') as typeof import('postgres-migrations');
  try {
    await library.migrate({ client: tracked as unknown as pg.Client }, dir, { logger });
  } catch (error) {
    throw new LibraryRunError((error as Error).message, running, databaseError);
  }
}

/**
 * Creates the library's history table (and its own row 0) exactly as the library does, by letting
 * it run with no migration files of ours. Used before writing history rows by hand (baseline).
 */
export async function ensureHistoryTable(client: pg.Client): Promise<void> {
  const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'migrator-empty-'));
  try {
    await applyPending(client, emptyDir, { onStart: () => undefined, onFinish: () => undefined });
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
}
