/**
 * Stopping a running statement from outside: node-postgres has no cancel request, so a second,
 * short-lived session asks the server to cancel the first one's query. The server then rolls the
 * transaction back and the first session's pending query fails with 57014.
 */
import type { ConnectionSettings } from '../config';
import { createClient } from './client';

const CANCEL_CONNECT_TIMEOUT_MS = 5000;

export async function cancelBackend(settings: ConnectionSettings, pid: number): Promise<boolean> {
  const client = createClient(settings, CANCEL_CONNECT_TIMEOUT_MS);
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ cancelled: boolean }>('SELECT pg_cancel_backend($1) AS cancelled', [pid]);
    return rows[0].cancelled;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
