/**
 * The password from a libpq password file (.pgpass), looked up once at start for the connection
 * the configuration names. node-postgres would look it up itself when no password is given, but
 * prints a deprecation warning on stderr when it does, and reads only PGPASSFILE or ~/.pgpass of
 * the real environment; reading it here honours the passfile parameter and .env as libpq does.
 * Lines are parsed and matched by the pgpass package, node-postgres' own.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../errors';

export interface PasswordFile {
  file: string;
  /** Named by PGPASSFILE or passfile: then it must exist. The default ~/.pgpass may be absent. */
  explicit: boolean;
  /** The setting to name in errors. */
  setting: string;
}

export function passwordFromFile(
  { file, explicit, setting }: PasswordFile,
  connection: { host: string; port: number; database: string; user: string },
): string | undefined {
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new ConfigError(`${setting}: ${file} is not a plain file`, setting);
    mode = stat.mode;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw new ConfigError(`${setting}: cannot read ${file} (${code ?? 'error'})`, setting);
  }
  // libpq skips such a file with a warning; refusing says why the password is not found.
  if (mode & 0o077) {
    throw new ConfigError(`${setting}: ${file} has group or world access, which libpq refuses: make it u=rw (0600) or less`, setting);
  }
  // Loaded only when a password file is read: few runs use one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pgpass = require('pgpass/lib/helper') as typeof import('pgpass/lib/helper');
  // As in libpq, an entry for localhost also matches a connection through a Unix socket.
  const hosts = connection.host.startsWith('/') ? [connection.host, 'localhost'] : [connection.host];
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    // pgpass skips only indented comments; libpq skips every line starting with #.
    if (line.startsWith('#')) continue;
    const entry = pgpass.parseLine(line);
    if (entry && pgpass.isValidEntry(entry) && hosts.some((host) => pgpass.match({ ...connection, host }, entry))) return entry.password;
  }
  return undefined;
}
