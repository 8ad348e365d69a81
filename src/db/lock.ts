/**
 * The database-wide migration lock: a session-level advisory lock held from before the legacy phase
 * until after the versioned phase, so that concurrent runners serialise. PostgreSQL releases it by
 * itself when the session ends, so a killed runner never leaves it behind.
 */
import type pg from 'pg';
import { LockTimeoutError } from '../errors';
import type { Logger } from '../log';
import { errorCode } from './client';
import { MIGRATION_LOCK_KEY } from './lock-key';

const KEY_SQL = `${MIGRATION_LOCK_KEY[0]}, ${MIGRATION_LOCK_KEY[1]}`;

/** A first try at the lock, as an SQL expression: the session's first query asks it along (session.ts). */
export const TRY_LOCK_SQL = `pg_try_advisory_lock(${KEY_SQL})`;

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
}

/** Takes the lock, waiting up to waitMs for a runner that holds it; `tried` is the outcome of a first try already made. */
export async function acquireMigrationLock(client: pg.Client, waitMs: number, logger: Logger, tried?: boolean): Promise<void> {
  const locked = tried ?? (await client.query<{ locked: boolean }>(`SELECT ${TRY_LOCK_SQL} AS locked`)).rows[0].locked;
  if (locked) return;

  const holder = await findLockHolder(client);
  logger.info({ holderPid: holder?.pid, lockWaitMs: waitMs }, 'another migrator holds the lock, waiting for it');
  if (waitMs > 0) {
    try {
      // Both settings are local to this implicit transaction, so the session's own values come back
      // afterwards; statement_timeout is lifted so that a role default cannot cut the wait short.
      await client.query(
        `SELECT set_config('lock_timeout', '${Math.round(waitMs)}ms', true), set_config('statement_timeout', '0', true);
         SELECT pg_advisory_lock(${KEY_SQL})`,
      );
      logger.debug({}, 'acquired migration lock after waiting');
      return;
    } catch (error) {
      if (errorCode(error) !== '55P03') throw error;
    }
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

export async function releaseMigrationLock(client: pg.Client): Promise<void> {
  await client.query(`SELECT pg_advisory_unlock(${KEY_SQL})`);
}

export async function findLockHolder(client: pg.Client): Promise<LockHolder | undefined> {
  const { rows } = await client.query<LockHolder>(
    `SELECT l.pid, a.application_name AS "applicationName", host(a.client_addr) AS "clientAddr"
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LIMIT 1`,
    [MIGRATION_LOCK_KEY[0], MIGRATION_LOCK_KEY[1]],
  );
  return rows[0];
}
