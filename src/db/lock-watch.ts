/**
 * Who is blocking us: when a statement gives up at lock_timeout, PostgreSQL's error does not say on
 * which relation or behind whom. While steps run with a lock timeout, a second session looks at
 * pg_locks every so often and remembers what our session was last waiting for. It connects only
 * once a step has run for a while, so quick runs (the no-op path) never open it.
 */
import type pg from 'pg';
import type { ConnectionSettings } from '../config';
import { createClient } from './client';

export interface LockWait {
  /** The relation waited for (schema-qualified when off the search path), or null for other lock types. */
  relation: string | null;
  lockType: string;
  mode: string;
  blockingPids: number[];
}

export interface LockWatcher {
  /** What our session was last seen waiting for. */
  lastWait(): LockWait | undefined;
  stop(): Promise<void>;
}

export function watchLockWaits(settings: ConnectionSettings, pid: number, intervalMs: number): LockWatcher {
  let observer: pg.Client | undefined;
  let last: LockWait | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const look = async () => {
    try {
      if (!observer) {
        observer = createClient(settings, 5000);
        observer.on('error', () => undefined);
        await observer.connect();
      }
      const { rows } = await observer.query<LockWait>(
        `SELECT l.relation::regclass::text AS relation, l.locktype AS "lockType", l.mode,
                pg_blocking_pids(l.pid) AS "blockingPids"
           FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted LIMIT 1`,
        [pid],
      );
      if (rows[0]) last = rows[0];
    } catch {
      // Diagnostics only: a failed look must never fail the run.
    }
  };
  const poll = () => {
    inFlight = look().finally(() => {
      if (!stopped) timer = setTimeout(poll, intervalMs).unref();
    });
  };
  timer = setTimeout(poll, intervalMs).unref();

  return {
    lastWait: () => last,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await observer?.end().catch(() => undefined);
    },
  };
}

export function describeLockWait(wait: LockWait): string {
  const target = wait.relation ? `relation ${wait.relation}` : `a ${wait.lockType} lock`;
  const holders = wait.blockingPids.length > 0 ? ` held by pid ${wait.blockingPids.join(', ')}` : '';
  return `waiting for ${wait.mode} on ${target}${holders}`;
}
