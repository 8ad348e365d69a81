/** Building node-postgres clients from our settings, and telling connection errors apart. */
import pg from 'pg';
import type { ConnectionSettings } from '../config';

/** The server asked for a password and none was configured: retrying cannot help. */
class NoPasswordError extends Error {}

/**
 * TCP keepalive on every connection: after this long without traffic the kernel probes the peer
 * every second, 10 times at most (libuv's settings), so a server host that is gone is noticed about
 * 20 s later, and NATs and load balancers do not drop a connection waiting on a long statement. It
 * does not notice a server that is frozen while its host still answers TCP (answer-watch.ts does).
 */
const KEEPALIVE_IDLE_MS = 10_000;

/** queryTimeoutMs: how long each query may wait for its answer (node-postgres' query_timeout); unbounded when not given. */
export function createClient(settings: ConnectionSettings, connectTimeoutMs: number, queryTimeoutMs?: number): pg.Client {
  const client = new pg.Client({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    // A function, even without a password: node-postgres would otherwise look one up in ~/.pgpass
    // itself (with a deprecation warning on stderr); config.ts has already read the password file.
    password: async () => {
      if (settings.password === undefined) {
        throw new NoPasswordError(
          'the server asks for a password and none is set (DATABASE_URL, PGPASSWORD, PGPASSWORD_FILE or a password file)',
        );
      }
      return settings.password;
    },
    database: settings.database,
    ssl: settings.ssl,
    application_name: settings.applicationName,
    options: settings.options,
    connectionTimeoutMillis: Math.max(1, Math.round(connectTimeoutMs)),
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
    ...(queryTimeoutMs !== undefined && { query_timeout: Math.max(1, Math.round(queryTimeoutMs)) }),
  });
  // A connection's error with no query running (it broke while idle, or the server ended it while it
  // was being closed: DROP DATABASE ... WITH (FORCE), pg_terminate_backend) reaches its next query,
  // if any, which fails with it. Unheard, node-postgres's 'error' event would end the process at
  // once, without its cleanup (a scratch container left running) and with the wrong exit code.
  client.on('error', () => undefined);
  return client;
}

/**
 * SQLSTATEs where retrying cannot help: bad credentials, a database that does not exist, no
 * permission to connect. Everything else while connecting is treated as "not up yet".
 */
const PERMANENT_LOGIN_CODES = new Set(['28P01', '28000', '3D000', '42501']);

/** TLS problems are configuration mistakes, not a database still starting. */
const TLS_ERROR_CODES = /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|CERT_|ERR_OSSL)/;

export function isTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && TLS_ERROR_CODES.test(code);
}

export function isPermanentConnectError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (error instanceof NoPasswordError || isTlsError(error) || (typeof code === 'string' && PERMANENT_LOGIN_CODES.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /does not support SSL|SSL is not enabled|no pg_hba\.conf entry/i.test(message);
}

/**
 * What a query fails with when we closed its connection because the server stopped answering: the
 * server may not know yet, so what it was doing ends only when it runs again and sees the close.
 */
export class ServerNotAnsweringError extends Error {
  override readonly name = 'ServerNotAnsweringError';
}

/** Closes a connection at once, without waiting for the server: every query waiting on it fails with `error`. */
export function dropConnection(client: pg.Client, error: Error): void {
  client.connection.stream.destroy(error);
}

/** Errors that mean the connection itself is gone (server restart, network cut), not bad SQL. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export function isConnectionLost(error: unknown): boolean {
  if (error instanceof ServerNotAnsweringError) return true;
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && CONNECTION_LOST_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|Client has encountered a connection error|Client was closed/i.test(message);
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The server process serving this client (from the startup handshake; node-postgres does not type it). */
export function backendPid(client: pg.Client): number | undefined {
  const pid = (client as unknown as { processID?: number | null }).processID;
  return typeof pid === 'number' ? pid : undefined;
}
