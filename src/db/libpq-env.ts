/** The environment for the PostgreSQL tools we start (pg_dump in a backup command, psql): the connection as libpq variables. */
import type { ConnectionSettings } from '../config';

/**
 * Ours without DATABASE_URL, DATABASE_URL_FILE and every PG* variable, plus the connection as
 * libpq variables: a PG* variable left over from our environment (one that DATABASE_URL
 * overrode, say) would make the tool connect elsewhere, or otherwise, than we do. purpose is
 * appended to application_name, so that pg_stat_activity tells these sessions apart.
 */
export function toolEnvironment(
  connection: ConnectionSettings,
  purpose: string,
  parent: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(parent).filter(([name]) => !name.startsWith('PG') && name !== 'DATABASE_URL' && name !== 'DATABASE_URL_FILE'),
  );
  Object.assign(env, {
    PGHOST: connection.host,
    PGPORT: String(connection.port),
    PGUSER: connection.user,
    PGDATABASE: connection.database,
    PGSSLMODE: connection.sslMode,
    PGAPPNAME: `${connection.applicationName}-${purpose}`,
  });
  const optional = {
    PGPASSWORD: connection.password,
    PGSSLROOTCERT: connection.sslFiles?.rootCert,
    PGSSLCERT: connection.sslFiles?.cert,
    PGSSLKEY: connection.sslFiles?.key,
    PGOPTIONS: connection.options,
    PGCONNECT_TIMEOUT: connection.connectTimeoutMs === undefined ? undefined : String(connection.connectTimeoutMs / 1000),
  };
  for (const [name, setting] of Object.entries(optional)) if (setting !== undefined) env[name] = setting;
  return env;
}
