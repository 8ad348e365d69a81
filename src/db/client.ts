/** Building node-postgres clients from our settings, and telling connection errors apart. */
import pg from 'pg';
import type { ConnectionSettings } from '../config';

/** The server asked for a password and none was configured: retrying cannot help. */
class NoPasswordError extends Error {}

export function createClient(settings: ConnectionSettings, connectTimeoutMs: number): pg.Client {
  return new pg.Client({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    // A function, even without a password: node-postgres would otherwise look one up in ~/.pgpass
    // itself (with a deprecation warning on stderr); config.ts has already read the password file.
    password: async () => {
      if (settings.password === undefined) {
        throw new NoPasswordError('the server asks for a password and none is set (DATABASE_URL, PGPASSWORD, PGPASSWORD_FILE or a password file)');
      }
      return settings.password;
    },
    database: settings.database,
    ssl: settings.ssl,
    application_name: settings.applicationName,
    options: settings.options,
    connectionTimeoutMillis: Math.max(1, Math.round(connectTimeoutMs)),
  });
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

/** Errors that mean the connection itself is gone (server restart, network cut), not bad SQL. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export function isConnectionLost(error: unknown): boolean {
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
