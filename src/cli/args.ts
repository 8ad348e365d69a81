/** Command-line parsing: `migrator [command] [options]`, with usage text for each command. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { COMMANDS, type Command } from './commands';

export type Invocation =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: Command; values: Record<string, string | boolean | undefined>; positionals: string[] };

export function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `Usage: migrator [command] [options]

Brings a PostgreSQL database to the current schema in three phases under one lock:
legacy repairs, table creation, versioned migrations.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Options:
  -h, --help     show this help, or a command's (migrator <command> --help)
  -v, --version  print the version

Configuration comes from environment variables (and a .env file); see README.md.
Exit codes: 0 done, 1 migration failed, 2 usage or config error, 3 pending work (check),
4 database unavailable, 5 lock not obtained, 6 validation failed (or lint found problems),
7 backup failed, 8 schemas differ (converge), 130/143 interrupted.`;
}

function commandUsage(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}.${command.details ? `\n\n${command.details}` : ''}`;
}

export function parseInvocation(argv: string[]): Invocation {
  const named = COMMANDS.find((command) => command.name === argv[0]);
  if (!named && argv[0] !== undefined && !argv[0].startsWith('-')) {
    throw new ConfigError(`unknown command "${argv[0]}"\n\n${usage()}`);
  }
  if (!named && (argv[0] === '-h' || argv[0] === '--help')) return { kind: 'help', text: usage() };
  if (!named && (argv[0] === '-v' || argv[0] === '--version')) return { kind: 'version' };
  const command = named ?? COMMANDS[0];
  let parsed;
  try {
    parsed = parseArgs({
      args: named ? argv.slice(1) : argv,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${commandUsage(command)}`);
  }
  if (parsed.values.help) return { kind: 'help', text: commandUsage(command) };
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new ConfigError(`wrong number of arguments for ${command.name}\n\n${commandUsage(command)}`);
  }
  return { kind: 'run', command, values: parsed.values, positionals: parsed.positionals };
}
