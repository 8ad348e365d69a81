/**
 * Per-run session settings, the read-only check, the schema of the migrator's own tables
 * (own-tables.ts) and, for a command that writes, a first try at the migration lock (in shared
 * mode for a read command that plans), in one round trip right after connecting: every start pays
 * each round trip.
 * The lock taken by a session that then turns out read-only goes when it disconnects.
 *
 * client_connection_check_interval (PostgreSQL 14+) makes the server notice within a second that a
 * killed runner's connection is gone, so a SIGKILLed migration is rolled back and its locks released
 * at once instead of when its statement would have finished. Settings the server does not know are
 * skipped, so older servers work too.
 */
import type pg from 'pg';
import { ConfigError, DatabaseReadOnlyError } from '../errors';
import { tryLockSql, useLockKey } from './lock';
import { MIGRATION_LOCK_KEY, schemaLockKey } from './lock-key';
import { OWN_SCHEMA_SQL, rememberOwnSchema } from './own-tables';
import type { Logger } from '../log';

export interface SessionOptions {
  /** PostgreSQL lock_timeout for every statement of the run (undefined: the server's setting). */
  lockTimeoutMs?: number;
  /** PostgreSQL statement_timeout for every statement of the run (undefined: the server's setting). */
  statementTimeoutMs?: number;
  /** Refuse a standby or read-only session, and try the migration lock (commands that write). */
  requireWritable: boolean;
  /** Try the migration lock in shared mode (read commands that plan; ignored with requireWritable). */
  sharedLock?: boolean;
  /**
   * A run confined to this schema (a tenant's): the search_path is it alone, the migrator's own
   * tables are in it, and the lock is its own (lock-key.ts). It must exist.
   */
  schema?: string;
}

export interface PreparedSession {
  /** Whether the first try got the migration lock (undefined: not tried). */
  locked?: boolean;
  /** Whether the role may create objects in its current schema: an app's read-only role may not. */
  mayChangeSchema: boolean;
}

/** The role may change the schema (create in the schema unqualified names go to), as plan's dry runs need. */
export const MAY_CHANGE_SCHEMA_SQL = `coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)`;

const CONNECTION_CHECK_INTERVAL_MS = 1000;

/** Roles already told they are superusers: every tenant of a fleet would say it again, once per process is enough. */
const warnedSuperusers = new Set<string>();

/** The settings prepareSession gave each session, as SQL that gives them again (see sessionResetSql). */
const ownSettings = new WeakMap<pg.Client, string>();

/**
 * Applies the settings that are given, and that the server knows (client_connection_check_interval
 * is PostgreSQL 14+), for the session (not only the transaction). Known is asked by name: the
 * pg_settings view would build every setting's row for each run of a tenant.
 */
function settingsSql(values: Array<[string, string | null]>): string {
  const given = values.filter((entry): entry is [string, string] => entry[1] !== null);
  const rows = given.map(([name, value]) => `('${name}', '${value.replaceAll("'", "''")}')`).join(', ');
  return `SELECT count(set_config(s.name, s.value, false)) FROM (VALUES ${rows}) AS s(name, value) WHERE current_setting(s.name, true) IS NOT NULL`;
}

/**
 * SQL that gives the session back the migrator's own state, whatever a script set: the role and
 * session authorization it connected with (RESET ALL leaves those alone), every setting as the
 * connection began it, then the migrator's own settings. Sent after every script, inside the
 * script's transaction (so planning's is rolled back with it), so that no step, and none of the
 * migrator's own queries, runs with what an earlier script set (a search_path, a role).
 */
export function sessionResetSql(client: pg.Client): string {
  const own = ownSettings.get(client);
  return `RESET SESSION AUTHORIZATION; RESET ROLE; RESET ALL${own ? `; ${own}` : ''}`;
}

export async function prepareSession(client: pg.Client, options: SessionOptions, logger: Logger): Promise<PreparedSession> {
  const { schema } = options;
  useLockKey(client, schema === undefined ? MIGRATION_LOCK_KEY : schemaLockKey(schema));
  const searchPath = schema === undefined ? null : client.escapeIdentifier(schema);
  // A schema's own run asks about that schema by name: in this query current_schema() may still be the one at connect.
  const schemaOid = `(SELECT oid FROM pg_namespace WHERE nspname = $1::text)`;
  const settings = settingsSql([
    ['client_connection_check_interval', String(CONNECTION_CHECK_INTERVAL_MS)],
    ['lock_timeout', milliseconds(options.lockTimeoutMs)],
    ['statement_timeout', milliseconds(options.statementTimeoutMs)],
    ['search_path', searchPath],
  ]);
  const lockTry = options.requireWritable || options.sharedLock ? tryLockSql(client, !options.requireWritable) : 'NULL::boolean';
  const { rows } = await client.query<{
    inRecovery: boolean;
    readOnly: boolean;
    superuser: boolean;
    user: string;
    mayChangeSchema: boolean;
    ownSchema: string | null;
    schemaExists: boolean;
    locked: boolean | null;
  }>(
    `SELECT pg_is_in_recovery() AS "inRecovery",
            current_setting('transaction_read_only') = 'on' AS "readOnly",
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            current_user AS user,
            ${schema === undefined ? MAY_CHANGE_SCHEMA_SQL : `coalesce(has_schema_privilege(${schemaOid}, 'CREATE'), false)`} AS "mayChangeSchema",
            ${schema === undefined ? OWN_SCHEMA_SQL : '$1::text'} AS "ownSchema",
            ($1::text IS NULL OR ${schemaOid} IS NOT NULL) AS "schemaExists",
            (${settings}) AS applied,
            ${lockTry} AS locked`,
    [schema ?? null],
  );
  const { inRecovery, readOnly, superuser, user, mayChangeSchema, ownSchema, schemaExists, locked } = rows[0];
  if (!schemaExists) {
    throw new ConfigError(
      `schema ${searchPath} does not exist in this database: create it (CREATE SCHEMA) before migrating it`,
      '--schema',
    );
  }
  // Decided once, before any script runs: where the migrator's own tables are (own-tables.ts).
  rememberOwnSchema(client, ownSchema, { confined: schema !== undefined });
  ownSettings.set(client, settings);
  if (superuser && options.requireWritable && !warnedSuperusers.has(user)) {
    warnedSuperusers.add(user);
    logger.warn({ user }, 'running as a superuser: prefer a role that owns the schema but is not a superuser (see docs/security.md)');
  }
  if (options.requireWritable && (inRecovery || readOnly)) {
    throw new DatabaseReadOnlyError(
      inRecovery
        ? 'the database is a read-only standby (in recovery): point the migrator at the primary'
        : 'the connection is read-only (default_transaction_read_only is on for this database or role): the migrator needs a writable connection',
    );
  }
  return { locked: locked ?? undefined, mayChangeSchema: mayChangeSchema && !readOnly && !inRecovery };
}

function milliseconds(value: number | undefined): string | null {
  return value === undefined ? null : String(Math.round(value));
}
