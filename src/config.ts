/**
 * Configuration: environment in, validated typed settings out.
 * This is the only module that interprets environment variables; everything else receives a
 * MigratorConfig. Invalid values raise ConfigError naming the variable (the CLI exits 2).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { ConfigError } from './errors';

export type Env = Readonly<Record<string, string | undefined>>;

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';
export type OnAhead = 'warn' | 'fail';

export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslMode: SslMode;
  /** TLS options for node's tls.connect, or false for a plain connection. */
  ssl: false | ConnectionOptions;
  applicationName: string;
}

export interface MigratorConfig {
  connection: ConnectionSettings;
  /** Absolute path of the folder holding legacy/, tables/ and versioned/. */
  migrationsDir: string;
  /** How long to keep retrying the first connection. */
  waitTimeoutMs: number;
  /** How long to wait for another runner's lock. */
  lockWaitMs: number;
  /** PostgreSQL lock_timeout for migration statements (undefined: the server's setting). */
  lockTimeoutMs?: number;
  /** How many times a step that hit lock_timeout is tried again before the run fails. */
  lockRetries: number;
  /** PostgreSQL statement_timeout for migration statements (undefined: the server's setting). */
  statementTimeoutMs?: number;
  /** What to do when the database has versioned migrations this image does not know. */
  onAhead: OnAhead;
  /** Shell command run before `up` changes anything (only when it has work to do). */
  backupCommand?: string;
  /** Tables other software manages, left out when `converge` compares schemas: "table" (any schema) or "schema.table". */
  ignoreTables: string[];
  log: { level: LogLevel; format: LogFormat };
}

export interface LoadConfigOptions {
  /** Folder that relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
  /** Whether stdout is a terminal: decides the default log format. */
  stdoutIsTTY?: boolean;
}

/** Every environment variable the migrator reads (all documented in README.md, Configuration). */
export const CONFIG_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_URL_FILE',
  'PGHOST',
  'PGPORT',
  'PGUSER',
  'PGPASSWORD',
  'PGPASSWORD_FILE',
  'PGDATABASE',
  'PGSSLMODE',
  'PGSSLROOTCERT',
  'PGSSLCERT',
  'PGSSLKEY',
  'PGAPPNAME',
  'MIGRATIONS_DIR',
  'MIGRATOR_WAIT_TIMEOUT',
  'MIGRATOR_LOCK_WAIT',
  'MIGRATOR_LOCK_TIMEOUT',
  'MIGRATOR_LOCK_RETRIES',
  'MIGRATOR_STATEMENT_TIMEOUT',
  'MIGRATOR_ON_AHEAD',
  'MIGRATOR_BACKUP_COMMAND',
  'MIGRATOR_IGNORE_TABLES',
  'MIGRATOR_TERMINATION_LOG',
  'LOG_LEVEL',
  'LOG_FORMAT',
] as const;

export const DEFAULTS = {
  migrationsDir: './migrations',
  waitTimeoutSeconds: 60,
  lockWaitSeconds: 300,
  lockRetries: 3,
  host: 'localhost',
  port: 5432,
  user: 'postgres',
  applicationName: 'pg-init-migrator',
} as const;

const DATABASE_URL_EXAMPLE = 'postgres://user:password@host:5432/database';

export function loadConfig(env: Env, options: LoadConfigOptions = {}): MigratorConfig {
  const cwd = options.cwd ?? process.cwd();
  return {
    connection: connectionFromEnv(env, cwd),
    migrationsDir: migrationsDirFromEnv(env, cwd),
    waitTimeoutMs: seconds(env, 'MIGRATOR_WAIT_TIMEOUT', DEFAULTS.waitTimeoutSeconds),
    lockWaitMs: seconds(env, 'MIGRATOR_LOCK_WAIT', DEFAULTS.lockWaitSeconds),
    lockTimeoutMs: optionalSeconds(env, 'MIGRATOR_LOCK_TIMEOUT'),
    lockRetries: count(env, 'MIGRATOR_LOCK_RETRIES', DEFAULTS.lockRetries),
    statementTimeoutMs: optionalSeconds(env, 'MIGRATOR_STATEMENT_TIMEOUT'),
    onAhead: oneOf(env, 'MIGRATOR_ON_AHEAD', ['warn', 'fail'] as const, 'warn'),
    backupCommand: value(env, 'MIGRATOR_BACKUP_COMMAND'),
    ignoreTables: list(env, 'MIGRATOR_IGNORE_TABLES'),
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      format: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, options.stdoutIsTTY ? 'pretty' : 'json'),
    },
  };
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** A comma-separated list; blanks around entries are ignored. */
function list(env: Env, name: string): string[] {
  const entries = (value(env, name) ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const bad = entries.find((entry) => !/^[^.]+(\.[^.]+)?$/.test(entry));
  if (bad !== undefined) throw new ConfigError(`${name}: "${bad}" is not a table name or schema.table`, name);
  return entries;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase() as T;
  if (!allowed.includes(lower)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`, name);
  }
  return lower;
}

function seconds(env: Env, name: string, fallback: number): number {
  return optionalSeconds(env, name) ?? fallback * 1000;
}

/** A duration in seconds (fractions allowed), as milliseconds; undefined when not set. */
function optionalSeconds(env: Env, name: string): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) {
    throw new ConfigError(`${name} must be a number of seconds, 0 or more (got "${raw}")`, name);
  }
  return Math.round(Number(raw) * 1000);
}

function count(env: Env, name: string, fallback: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,4}$/.test(raw)) throw new ConfigError(`${name} must be a whole number from 0 to 9999 (got "${raw}")`, name);
  return Number(raw);
}

function migrationsDirFromEnv(env: Env, cwd: string): string {
  const dir = path.resolve(cwd, value(env, 'MIGRATIONS_DIR') ?? DEFAULTS.migrationsDir);
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new ConfigError(`MIGRATIONS_DIR ${dir} is not a readable directory`, 'MIGRATIONS_DIR');
  return dir;
}

/** Reads a secret mounted as a file (Docker/Kubernetes secrets), without its trailing newline. */
function secretFile(env: Env, name: string): string | undefined {
  const file = value(env, name);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, name);
  }
}

function exclusive(env: Env, direct: string, fromFile: string): string | undefined {
  if (value(env, direct) !== undefined && value(env, fromFile) !== undefined) {
    throw new ConfigError(`set ${direct} or ${fromFile}, not both`, fromFile);
  }
  return secretFile(env, fromFile) ?? value(env, direct);
}

/** The connection string's parts; any part it leaves out falls back to the libpq variables. */
interface UrlParts {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  database?: string;
  params: URLSearchParams;
}

function parseDatabaseUrl(raw: string): UrlParts {
  // Never echo the value: it normally holds a password.
  const invalid = new ConfigError(`DATABASE_URL must be a URL like ${DATABASE_URL_EXAMPLE}`, 'DATABASE_URL');
  let url: URL;
  try {
    // libpq allows an empty host (postgres://user@/db?host=/socket); URL does not, so name the default.
    url = new URL(raw.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)(?=[/?]|$)/i, `$1${DEFAULTS.host}`));
  } catch {
    throw invalid;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw invalid;
  const decode = (part: string) => {
    try {
      return part === '' ? undefined : decodeURIComponent(part);
    } catch {
      throw invalid;
    }
  };
  const database = decode(url.pathname.replace(/^\//, ''));
  return {
    // A socket folder may be given as ?host=/var/run/postgresql, as libpq allows.
    host: url.searchParams.get('host') ?? decode(url.hostname.replace(/^\[(.*)\]$/, '$1')),
    port: url.port || url.searchParams.get('port') || undefined,
    user: decode(url.username),
    password: decode(url.password),
    database,
    params: url.searchParams,
  };
}

function connectionFromEnv(env: Env, cwd: string): ConnectionSettings {
  const databaseUrl = exclusive(env, 'DATABASE_URL', 'DATABASE_URL_FILE');
  const password = exclusive(env, 'PGPASSWORD', 'PGPASSWORD_FILE');
  const url = databaseUrl === undefined ? undefined : parseDatabaseUrl(databaseUrl);
  const setting = (urlValue: string | undefined, envName: string) =>
    urlValue ?? url?.params.get(envName.replace(/^PG/, '').toLowerCase()) ?? value(env, envName);

  const portText = setting(url?.port, 'PGPORT');
  const port = portText === undefined ? DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`PGPORT must be a port number from 1 to 65535 (got "${portText}")`, 'PGPORT');
  }
  const user = setting(url?.user, 'PGUSER') ?? DEFAULTS.user;
  const sslMode = parseSslMode(url?.params.get('sslmode') ?? value(env, 'PGSSLMODE'));
  return {
    host: setting(url?.host, 'PGHOST') ?? DEFAULTS.host,
    port,
    user,
    password: url?.password ?? password,
    database: setting(url?.database, 'PGDATABASE') ?? user,
    sslMode,
    ssl: tlsOptions(sslMode, {
      ca: url?.params.get('sslrootcert') ?? value(env, 'PGSSLROOTCERT'),
      cert: url?.params.get('sslcert') ?? value(env, 'PGSSLCERT'),
      key: url?.params.get('sslkey') ?? value(env, 'PGSSLKEY'),
    }, cwd),
    applicationName: url?.params.get('application_name') ?? value(env, 'PGAPPNAME') ?? DEFAULTS.applicationName,
  };
}

function parseSslMode(raw: string | undefined): SslMode {
  if (raw === undefined) return 'disable';
  const mode = raw.toLowerCase() as SslMode;
  if (!SSL_MODES.includes(mode)) {
    throw new ConfigError(`PGSSLMODE must be one of ${SSL_MODES.join(', ')} (got "${raw}")`, 'PGSSLMODE');
  }
  return mode;
}

/**
 * libpq's sslmode mapped onto node's TLS options. node-postgres cannot fall back from TLS to plain
 * text, so allow and prefer connect without TLS, like disable.
 */
function tlsOptions(
  mode: SslMode,
  files: { ca?: string; cert?: string; key?: string },
  cwd: string,
): false | ConnectionOptions {
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const read = (file: string | undefined, variable: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(path.resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new ConfigError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, variable);
    }
  };
  const options: ConnectionOptions = {
    ca: read(files.ca, 'PGSSLROOTCERT'),
    cert: read(files.cert, 'PGSSLCERT'),
    key: read(files.key, 'PGSSLKEY'),
  };
  if (mode === 'require') return { ...options, rejectUnauthorized: false };
  if (mode === 'verify-ca') return { ...options, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...options, rejectUnauthorized: true };
}

/** Where Kubernetes reads a container's termination message (MIGRATOR_TERMINATION_LOG). */
export function terminationLogPath(env: Env): string {
  return value(env, 'MIGRATOR_TERMINATION_LOG') ?? '/dev/termination-log';
}

/**
 * Text printed as it is even where it contains the password: the names every connection message
 * shows (a password equal to one of them is visible there anyway) and the migrator's own example.
 */
export function publicTextOf(connection?: ConnectionSettings): string[] {
  return [DATABASE_URL_EXAMPLE, ...(connection ? [connection.user, connection.database, connection.host] : [])];
}

/** The values that must never appear in output. */
export function secretsOf(config: MigratorConfig): string[] {
  return config.connection.password ? [config.connection.password] : [];
}

/** host:port/database as user, for log lines: never includes the password. */
export function describeConnection(connection: ConnectionSettings): string {
  return `${connection.user}@${connection.host}:${connection.port}/${connection.database}`;
}
