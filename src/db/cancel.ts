/**
 * Stopping a running statement from outside: node-postgres has no cancel request, so a second,
 * short-lived session asks the server to cancel the first one's query. The server then rolls the
 * transaction back and the first session's pending query fails with 57014.
 */
import type { ConnectionSettings } from '../config';
import { askOnce } from './ask-once';

/** How long the cancel request may take, connecting included: well within the CLI's stop grace. */
export const CANCEL_DEADLINE_MS = 5000;

/** Whether a statement was cancelled; undefined when the server did not answer the request in time. */
export async function cancelBackend(settings: ConnectionSettings, pid: number): Promise<boolean | undefined> {
  const rows = await askOnce<{ cancelled: boolean }>(settings, 'SELECT pg_cancel_backend($1) AS cancelled', [pid], CANCEL_DEADLINE_MS);
  return rows && rows[0]?.cancelled === true;
}
