/** Command-line parsing: `migrator [command] [options]`, with usage text for each command. */
import { parseArgs } from 'node:util';
import { closestName } from '../config/did-you-mean';
import { UsageError } from '../errors';
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
    if (!about || argv.length > 2) {
      throw new UsageError(`help takes one command name, one of ${COMMANDS.map((command) => command.name).join(', ')}`, usage());
    }
    return { kind: 'help', text: commandUsage(about) };
  }
  const named = COMMANDS.find((command) => command.name === argv[0]);
  if (!named && argv[0] !== undefined && !argv[0].startsWith('-')) {
    const closest = closestName(
      argv[0],
      COMMANDS.map((command) => command.name),
    );
    throw new UsageError(`unknown command "${argv[0]}"${closest ? ` (did you mean "${closest}"?)` : ''}`, usage());
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
    throw new UsageError(argumentProblem(error as Error & { code?: string }, command), commandUsage(command));
  }
  if (parsed.values.help) return { kind: 'help', text: commandUsage(command) };
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`wrong number of arguments for ${command.name}`, commandUsage(command));
  }
  return { kind: 'run', command, values: parsed.values, positionals: parsed.positionals };
}

/** parseArgs' complaint in our words: which option, and the one meant when it is a typo of one. */
function argumentProblem(error: Error & { code?: string }, command: Command): string {
  const option = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const known = [...Object.keys(command.options), 'help'].map((name) => `--${name}`);
    const closest = closestName(option, known);
    return `unknown option ${option} for ${command.name}${closest ? ` (did you mean ${closest}?)` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return command.options[option.replace(/^-+/, '')]?.type === 'string'
      ? `option ${option} needs a value`
      : `option ${option} takes no value`;
  }
  return error.message;
}
