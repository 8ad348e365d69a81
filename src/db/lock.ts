/**
 * The database-wide migration lock: a session-level advisory lock held from before the legacy phase
 * until after the versioned phase, so that concurrent runners serialise. PostgreSQL releases it by
 * itself when the session ends, so a killed runner never leaves it behind.
 *
 * A runner that finds the lock taken polls for it with short statements outside any transaction and
 * sleeps between tries on its own side, rather than waiting inside pg_advisory_lock: a statement
 * that waits holds a snapshot all along, and the holder's CREATE INDEX CONCURRENTLY waits for every
 * older snapshot to go, so the two would wait for each other until PostgreSQL killed one of them.
 *
 * Read commands (plan, status, check) take the same lock in shared mode while they plan: their
 * planning transaction holds a snapshot and dry-runs scripts that may lock a table a concurrent
 * build works on, so they never plan while a writer holds the lock, and a writer waits (polling) for
 * their short plans to end. Shared holders do not wait for each other.
 */
import type pg from 'pg';
import { now } from '../clock';
import { InterruptedError, LockTimeoutError, MigrationFailedError, MigrationRunningError, ValidationError } from '../errors';
import type { Logger } from '../log';
import type { PhaseName } from '../results';
import { sleep } from '../sleep';
import { MIGRATION_LOCK_KEY } from './lock-key';

type LockKey = readonly [number, number];

/** The key of each session's lock (lock-key.ts): the database's, unless session.ts gave it a schema's. */
const sessionKeys = new WeakMap<pg.Client, LockKey>();

/** Which lock this session takes, guards and releases from now on; session.ts decides it before its first query. */
export function useLockKey(client: pg.Client, key: LockKey): void {
  sessionKeys.set(client, key);
}

function lockKeyOf(client: pg.Client): LockKey {
  return sessionKeys.get(client) ?? MIGRATION_LOCK_KEY;
}

const keySql = (client: pg.Client) => lockKeyOf(client).join(', ');

/**
 * A first try at the lock, as an SQL expression: the session's first query asks it along
 * (session.ts). In shared mode (read commands) it fails only while a writer holds the lock.
 */
export function tryLockSql(client: pg.Client, shared: boolean): string {
  return `pg_try_advisory_lock${shared ? '_shared' : ''}(${keySql(client)})`;
}

/** The pause before the second try, growing by POLL_GROWTH after each try up to POLL_MAX_MS. */
const POLL_FIRST_MS = 50;
const POLL_GROWTH = 1.5;
const POLL_MAX_MS = 1000;

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
}

export interface LockWaitOptions {
  /** How long to wait for a runner that holds the lock (0: give up at once). */
  waitMs: number;
  logger: Logger;
  /** Ends the wait at once; the caller turns the abort into its own error. */
  signal?: AbortSignal;
  /** The outcome of a first try already made (session.ts), so that a free lock costs no round trip. */
  tried?: boolean;
  /** Take the lock in shared mode (read commands): it waits only for a writer. */
  shared?: boolean;
}

/** Takes the lock, waiting up to waitMs for a runner that holds it. */
export async function acquireMigrationLock(client: pg.Client, options: LockWaitOptions): Promise<void> {
  const { waitMs, logger, signal, shared = false } = options;
  if (options.tried ?? (await tryMigrationLock(client, shared))) return;

  const holder = await findLockHolder(client);
  logger.info({ holderPid: holder?.pid, lockWaitMs: waitMs }, 'another migrator holds the lock, waiting for it');
  const deadline = now() + waitMs;
  let pauseMs = POLL_FIRST_MS;
  for (let left = waitMs; left > 0; left = deadline - now()) {
    // Jitter, so that replicas started together do not poll in lockstep.
    await sleep(Math.min(left, pauseMs * (0.5 + Math.random() / 2)), signal);
    if (signal?.aborted) throw InterruptedError.from(signal, 'while waiting for the migration lock, so nothing was changed');
    if (await tryMigrationLock(client, shared)) {
      logger.debug({}, 'acquired migration lock after waiting');
      return;
    }
    pauseMs = Math.min(POLL_MAX_MS, pauseMs * POLL_GROWTH);
  }
  const current = (await findLockHolder(client)) ?? holder;
  throw new LockTimeoutError(
    `another migrator still holds the migration lock after ${waitMs / 1000}s` +
      (current
        ? ` (pid ${current.pid}, application "${current.applicationName}"${current.clientAddr ? `, from ${current.clientAddr}` : ''})`
        : '') +
      '; raise MIGRATOR_LOCK_WAIT or stop that session',
    current?.pid,
  );
}

async function tryMigrationLock(client: pg.Client, shared: boolean): Promise<boolean> {
  return (await client.query<{ locked: boolean }>(`SELECT ${tryLockSql(client, shared)} AS locked`)).rows[0].locked;
}

/** What `check` answers when a first try at the shared lock failed: a writer holds the lock. */
export async function migrationRunning(client: pg.Client): Promise<MigrationRunningError> {
  const holder = await findLockHolder(client);
  return new MigrationRunningError(
    'the schema is not known to be current: a migration is running' +
      (holder
        ? ` (pid ${holder.pid}, application "${holder.applicationName}"${holder.clientAddr ? `, from ${holder.clientAddr}` : ''})`
        : '') +
      '; check again once it ends',
    holder?.pid,
  );
}

/** What the lock guard raises: an SQLSTATE of our own, which no PostgreSQL error uses. */
export const LOCK_RELEASED_SQLSTATE = 'MGL01';

/**
 * A statement that raises when this session no longer holds the migration lock: a script that ran
 * pg_advisory_unlock_all() (or pg_advisory_unlock with our key) let other runners in. Run inside a
 * step's transaction before it commits, so that the step is rolled back instead of recorded.
 */
export function lockGuardSql(client: pg.Client): string {
  const [classid, objid] = lockKeyOf(client);
  return `DO $guard$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                    AND classid = ${classid >>> 0} AND objid = ${objid >>> 0} AND objsubid = 2) THEN
    RAISE EXCEPTION 'the migration lock was released' USING ERRCODE = '${LOCK_RELEASED_SQLSTATE}';
  END IF;
END $guard$`;
}

/** Raises (LOCK_RELEASED_SQLSTATE) when the session no longer holds the migration lock; one round trip. */
export async function ensureMigrationLockHeld(client: pg.Client): Promise<void> {
  await client.query(lockGuardSql(client));
}

/** The failure of a step during which the migration lock was found released (by the guard). */
export function lockReleasedFailure(error: unknown, label: string, phase: PhaseName, file: string, withoutTransaction: boolean) {
  if ((error as { code?: unknown } | undefined)?.code !== LOCK_RELEASED_SQLSTATE) return undefined;
  return new MigrationFailedError(
    `${label} released the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with the migrator's key), so another runner could run at the same time; ` +
      (withoutTransaction
        ? 'it ran without a transaction, so what it did stays, but it was not recorded as applied'
        : 'its transaction was rolled back') +
      ': a migration must never release the lock',
    phase,
    file,
    { pgCode: LOCK_RELEASED_SQLSTATE },
    { cause: error },
  );
}

export async function releaseMigrationLock(client: pg.Client): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${keySql(client)})`);
}

/**
 * Releases a read command's shared lock once it has planned; raises when it was no longer held, as
 * `up` does (advisory locks outlive the rolled-back planning transaction): a script dry-run while
 * planning released it, so a writer may have started meanwhile.
 */
export async function releaseSharedMigrationLock(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ held: boolean }>(`SELECT pg_advisory_unlock_shared(${keySql(client)}) AS held`);
  if (!rows[0].held) throw lockReleasedWhilePlanning();
}

/** What a run that planned under the lock says when a script dry-run meanwhile released it. */
export function lockReleasedWhilePlanning(): ValidationError {
  return new ValidationError(
    "a script dry-run while planning released the migration lock (pg_advisory_unlock_all(), or pg_advisory_unlock with the migrator's key), so nothing was changed: a migration must never release the lock",
  );
}

/** Who holds the lock: a writer first (read commands hold it in shared mode, briefly). */
export async function findLockHolder(client: pg.Client): Promise<LockHolder | undefined> {
  const { rows } = await client.query<LockHolder>(
    `SELECT l.pid, a.application_name AS "applicationName", host(a.client_addr) AS "clientAddr"
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      ORDER BY l.mode = 'ExclusiveLock' DESC
      LIMIT 1`,
    lockKeyOf(client).map((part) => part >>> 0),
  );
  return rows[0];
}
