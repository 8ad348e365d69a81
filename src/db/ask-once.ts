/**
 * One question on a short-lived connection of its own, for when the run's connection cannot ask it
 * (it is busy, or the server may have stopped answering it). The whole exchange, connecting
 * included, has one deadline, so a server that does not answer cannot hold the caller.
 */
import pg from 'pg';
import type { ConnectionSettings } from '../config';
import { createClient, dropConnection } from './client';

/**
 * The rows of the answer; [] when PostgreSQL answered with an error (too many connections, no
 * permission: it is up and speaking); undefined when no answer came within `deadlineMs`, or the
 * server could not be reached at all.
 */
export async function askOnce<R extends pg.QueryResultRow>(
  settings: ConnectionSettings,
  sql: string,
  values: unknown[],
  deadlineMs: number,
): Promise<R[] | undefined> {
  const client = createClient(settings, deadlineMs);
  const deadline = setTimeout(() => dropConnection(client, new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  try {
    await client.connect();
    return (await client.query<R>(sql, values)).rows;
  } catch (error) {
    return error instanceof pg.DatabaseError ? [] : undefined;
  } finally {
    clearTimeout(deadline);
    // Not awaited: closing needs nothing more from the server.
    void client.end().catch(() => undefined);
  }
}
