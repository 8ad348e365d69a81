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

const LOOK_DEADLINE_MS = 5000;

export function watchLockWaits(settings: ConnectionSettings, pid: number, intervalMs: number): LockWatcher {
  let observer: pg.Client | undefined;
  let last: LockWait | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  // Not awaited: a server that stopped answering would never confirm the close (end() closes a
  // connection whose query is unanswered at once), and stop() must not wait for it.
  const close = () => {
    void observer?.end().catch(() => undefined);
    observer = undefined;
  };
  const look = async () => {
    let client = observer;
    if (!client) {
      // Connecting and each look are bounded: a server that stopped answering must not keep looks pending.
      client = observer = createClient(settings, LOOK_DEADLINE_MS, LOOK_DEADLINE_MS);
      await client.connect();
    }
    const { rows } = await client.query<LockWait>(
      `SELECT l.relation::regclass::text AS relation, l.locktype AS "lockType", l.mode,
              pg_blocking_pids(l.pid) AS "blockingPids"
         FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted LIMIT 1`,
      [pid],
    );
    if (rows[0]) last = rows[0];
  };
  const poll = () => {
    void look()
      // Diagnostics only: a failed look must never fail the run; the next one opens a new connection.
      .catch(close)
      .finally(() => {
        if (stopped) close();
        else timer = setTimeout(poll, intervalMs).unref();
      });
  };
  timer = setTimeout(poll, intervalMs).unref();

  return {
    lastWait: () => last,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      close();
    },
  };
}

export function describeLockWait(wait: LockWait): string {
  const target = wait.relation ? `relation ${wait.relation}` : `a ${wait.lockType} lock`;
  const holders = wait.blockingPids.length > 0 ? ` held by pid ${wait.blockingPids.join(', ')}` : '';
  return `waiting for ${wait.mode} on ${target}${holders}`;
}
