/** Command-line parsing: `migrator [command] [options]`, with usage text for each command. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { COMMANDS, type Command } from './commands';
import { EXIT_MEANING } from './exit-codes';

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
  ${'help'.padEnd(width)}  show this help, or a command's (migrator help <command>)

Options:
  -h, --help     show this help, or a command's (migrator <command> --help)
  -v, --version  print the version

Configuration comes from environment variables (and a .env file): docs/configuration.md.

Exit codes:
${Object.entries(EXIT_MEANING)
  .map(([code, meaning]) => `  ${code.padStart(3)}  ${meaning}`)
  .join('\n')}`;
}

function commandUsage(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}.${command.details ? `\n\n${command.details}` : ''}`;
}

export function parseInvocation(argv: string[]): Invocation {
  if (argv[0] === 'help') {
    if (argv.length === 1) return { kind: 'help', text: usage() };
    const about = COMMANDS.find((command) => command.name === argv[1]);
    if (!about || argv.length > 2)
      throw new ConfigError(`help takes one command name, one of ${COMMANDS.map((command) => command.name).join(', ')}\n\n${usage()}`);
    return { kind: 'help', text: commandUsage(about) };
  }
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
