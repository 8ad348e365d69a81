/** Command-line parsing: `migrator [up] [--help] [--version]`. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';

export type Command = 'up' | 'help' | 'version';

export const USAGE = `Usage: migrator [command] [options]

Brings a PostgreSQL database to the current schema in three phases under one lock:
legacy repairs, table creation, versioned migrations.

Commands:
  up            apply everything that is pending (default)

Options:
  -h, --help    show this help
  -v, --version print the version

Configuration comes from environment variables (and a .env file); see README.md.
Exit codes: 0 done, 1 migration failed, 2 usage or config error, 4 database unavailable,
5 lock not obtained, 6 validation failed, 130/143 interrupted.`;

export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (parsed.values.help) return 'help';
  if (parsed.values.version) return 'version';
  const [command = 'up', ...rest] = parsed.positionals;
  if (command !== 'up') throw new ConfigError(`unknown command "${command}"\n\n${USAGE}`);
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
  return command;
}
