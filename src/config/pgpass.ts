/**
 * The password from a libpq password file (.pgpass), looked up once at start for the connection
 * the configuration names. node-postgres would look it up itself when no password is given, but
 * prints a deprecation warning on stderr when it does, and reads only PGPASSFILE or ~/.pgpass of
 * the real environment; reading it here honours the passfile parameter and .env as libpq does.
 * Lines are read as libpq's passwordFromFile reads them: host:port:database:user:password, `*`
 * matching anything in the first four, `\:` and `\\` standing for `:` and `\`.
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
  // As in libpq, an entry for localhost also matches a connection through a Unix socket.
  const hosts = connection.host.startsWith('/') ? [connection.host, 'localhost'] : [connection.host];
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    const fields = splitFields(line);
    if (fields.length < 5) continue;
    const [host, port, database, user] = fields;
    const matches = (field: Field, wanted: string) => field.raw === '*' || field.text === wanted;
    if (
      hosts.some((wanted) => matches(host, wanted)) &&
      matches(port, String(connection.port)) &&
      matches(database, connection.database) &&
      matches(user, connection.user)
    ) {
      // libpq takes an empty password for none.
      return fields[4].text === '' ? undefined : fields[4].text;
    }
  }
  return undefined;
}

interface Field {
  /** As written, so that only an unescaped * is a wildcard. */
  raw: string;
  text: string;
}

/** The line cut at each : that no \ escapes; a \ keeps the character after it. */
function splitFields(line: string): Field[] {
  const fields: Field[] = [];
  let raw = '';
  let text = '';
  for (let index = 0; index < line.length; index++) {
    const character = line[index];
    if (character === '\\' && index + 1 < line.length) {
      raw += character + line[index + 1];
      text += line[++index];
    } else if (character === ':') {
      fields.push({ raw, text });
      raw = text = '';
    } else {
      raw += character;
      text += character;
    }
  }
  fields.push({ raw, text });
  return fields;
}
