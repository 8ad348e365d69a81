/** The connection as libpq environment variables, for the PostgreSQL tools we start (pg_dump in a backup command, psql). */
import type { ConnectionSettings } from '../config';

/** purpose is appended to application_name, so that pg_stat_activity tells these sessions apart. */
export function libpqEnvironment(connection: ConnectionSettings, purpose: string): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: connection.host,
    PGPORT: String(connection.port),
    PGUSER: connection.user,
    PGDATABASE: connection.database,
    PGSSLMODE: connection.sslMode,
    PGAPPNAME: `${connection.applicationName}-${purpose}`,
  };
  if (connection.password !== undefined) env.PGPASSWORD = connection.password;
  return env;
}
