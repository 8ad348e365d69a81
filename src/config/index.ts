/**
 * Configuration: environment in, validated typed settings out.
 * This module and the ones it delegates to (connection-settings.ts for the connection) are the
 * only ones that interpret environment variables; everything else receives a MigratorConfig.
 * Invalid values, and variables that look like ours but are not, raise ConfigError naming the
 * variable (the CLI exits 2).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  CONNECTION_DEFAULTS,
  DATABASE_URL_EXAMPLE,
  MAX_TIMEOUT_MS,
  SSL_MODES,
  connectionFromEnv,
  passwordsIn,
  type ConnectionSettings,
} from './connection-settings';
import { didYouMean } from './did-you-mean';
import { CONFIG_VARIABLES, NEIGHBOUR_VARIABLES } from './variables';
import { value, type Env } from './env-value';
import { ConfigError } from '../errors';

export { connectionUnset, describeConnection, type ConnectionSettings } from './connection-settings';
export type { Env } from './env-value';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const ON_AHEAD = ['warn', 'fail'] as const;
export type OnAhead = (typeof ON_AHEAD)[number];
const ON_DRIFT = ['ignore', 'warn', 'fail'] as const;
export type OnDrift = (typeof ON_DRIFT)[number];
/** The lists of values that configuration errors offer ("must be one of ..."): the migrator's own words. */
const VALUE_LISTS = [LOG_LEVELS, LOG_FORMATS, ON_AHEAD, ON_DRIFT, SSL_MODES].map((values) => values.join(', '));

export interface MigratorConfig {
  connection: ConnectionSettings;
  /** Absolute path of the folder holding legacy/, tables/ and versioned/. */
  migrationsDir: string;
  /**
   * A run confined to one schema, a tenant's (`fleet`, `check --schema`): the search_path is that
   * schema alone, so the history, the declared tables and every unqualified name of a script are
   * in it, and the migration lock is its own. Undefined: the search_path of the connection decides.
   */
  schema?: string;
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
  /** What `up` and `check` do, before planning, when the schema differs from what the last `up` recorded (src/drift/). */
  onDrift: OnDrift;
  /** Shell command run before `up` changes anything (only when it has work to do). */
  backupCommand?: string;
  /** Tables other software manages, left out when `converge` compares schemas and of the drift fingerprint: "table" (any schema) or "schema.table". */
  ignoreTables: string[];
  /** color: whether pretty logs may be coloured (on a terminal): not when NO_COLOR is set. */
  log: { level: LogLevel; format: LogFormat; color: boolean };
}

export interface LoadConfigOptions {
  /** Folder that relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
  /** Whether the stream the logs go to is a terminal: decides the default log format. */
  logsToTerminal?: boolean;
}

export { CONFIG_VARIABLES } from './variables';

/** Names that are ours or look like ours (MIGRATOR_*, MIGRATIONS_DIR and its misspellings): one we do not read is a mistake. */
const OUR_PREFIX = /^MIGRAT(OR|IONS?)_/;

export const DEFAULTS = {
  migrationsDir: './migrations',
  waitTimeoutSeconds: 60,
  lockWaitSeconds: 300,
  lockRetries: 3,
  // Comparing costs more than 10 % of a no-op start at 200 tables (docs/drift.md), so it is asked for, not paid by every start.
  onDrift: 'ignore',
  ...CONNECTION_DEFAULTS,
} as const;

export function loadConfig(env: Env, options: LoadConfigOptions = {}): MigratorConfig {
  const cwd = options.cwd ?? process.cwd();
  refuseUnknownVariables(env);
  return {
    connection: connectionFromEnv(env, cwd),
    migrationsDir: migrationsDirFromEnv(env, cwd),
    waitTimeoutMs: seconds(env, 'MIGRATOR_WAIT_TIMEOUT', DEFAULTS.waitTimeoutSeconds),
    lockWaitMs: seconds(env, 'MIGRATOR_LOCK_WAIT', DEFAULTS.lockWaitSeconds),
    lockTimeoutMs: optionalSeconds(env, 'MIGRATOR_LOCK_TIMEOUT'),
    lockRetries: count(env, 'MIGRATOR_LOCK_RETRIES', DEFAULTS.lockRetries),
    statementTimeoutMs: optionalSeconds(env, 'MIGRATOR_STATEMENT_TIMEOUT'),
    onAhead: oneOf(env, 'MIGRATOR_ON_AHEAD', ON_AHEAD, 'warn'),
    onDrift: oneOf(env, 'MIGRATOR_ON_DRIFT', ON_DRIFT, DEFAULTS.onDrift),
    backupCommand: value(env, 'MIGRATOR_BACKUP_COMMAND'),
    ignoreTables: list(env, 'MIGRATOR_IGNORE_TABLES'),
    log: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      format: oneOf(env, 'LOG_FORMAT', LOG_FORMATS, options.logsToTerminal ? 'pretty' : 'json'),
      color: colorAllowed(env),
    },
  };
}

/** The NO_COLOR convention (no-color.org): any value but an empty one turns colours off. */
export function colorAllowed(env: Env): boolean {
  return (env.NO_COLOR ?? '') === '';
}

const NEIGHBOURS = new Set(NEIGHBOUR_VARIABLES.map((variable) => variable.name));

/** MIGRATOR_LOCK_TIMOUT would otherwise be ignored, and the run would go on without the lock timeout it was meant to set. */
function refuseUnknownVariables(env: Env): void {
  const unknown = Object.keys(env)
    .filter((name) => OUR_PREFIX.test(name) && !CONFIG_VARIABLES.includes(name) && !NEIGHBOURS.has(name))
    .sort();
  if (unknown.length > 0) {
    throw new ConfigError(`${unknown[0]} is not a variable the migrator reads${didYouMean(unknown[0], CONFIG_VARIABLES)}`, unknown[0]);
  }
}

/** A comma-separated list; blanks around entries are ignored. */
function list(env: Env, name: string): string[] {
  const entries = (value(env, name) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
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

/**
 * A duration in seconds (fractions allowed), as milliseconds; undefined when not set. PostgreSQL's
 * lock_timeout and statement_timeout and node's timers all stop at MAX_TIMEOUT_MS: a longer one
 * would fail at run time (PostgreSQL) or fire at once (node).
 */
function optionalSeconds(env: Env, name: string): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) {
    throw new ConfigError(`${name} must be a number of seconds, 0 or more (got "${raw}")`, name);
  }
  const ms = Math.round(Number(raw) * 1000);
  if (ms > MAX_TIMEOUT_MS) {
    throw new ConfigError(
      `${name} must be at most ${MAX_TIMEOUT_MS / 1000} seconds, the ${MAX_TIMEOUT_MS} ms PostgreSQL's and node's timers stop at (got "${raw}")`,
      name,
    );
  }
  return ms;
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

export interface TerminationLog {
  file: string;
  /** For the default path: the kubelet creates that file, and where it does not exist we are not in Kubernetes. */
  onlyIfPresent: boolean;
}

/** Where Kubernetes reads a container's termination message (MIGRATOR_TERMINATION_LOG). */
export function terminationLog(env: Env): TerminationLog {
  const file = value(env, 'MIGRATOR_TERMINATION_LOG');
  return file === undefined ? { file: '/dev/termination-log', onlyIfPresent: true } : { file, onlyIfPresent: false };
}

/**
 * Text printed as it is even where it contains the password: the names every connection message
 * shows (a password equal to one of them is visible there anyway), the migrator's own example and
 * the lists of values it offers (a password "info" is not masked in "trace, debug, info, ...").
 */
export function publicTextOf(connection?: ConnectionSettings): string[] {
  return [DATABASE_URL_EXAMPLE, ...VALUE_LISTS, ...(connection ? [connection.user, connection.database, connection.host] : [])];
}

/**
 * The passwords an environment gives, as far as it can be read: for the error that stopped
 * loadConfig, which may quote a value after the password was known.
 */
export function secretsIn(env: Env, cwd: string): string[] {
  return [env.PGPASSWORD, ...passwordsIn(env, cwd)].filter((secret): secret is string => Boolean(secret));
}

/** The values that must never appear in output. */
export function secretsOf(config: MigratorConfig): string[] {
  return config.connection.password ? [config.connection.password] : [];
}
