/** Command-line parsing: `migrator [command] [options]`, with usage text for each command. */
import { parseArgs } from 'node:util';
import { closestName } from '../config/did-you-mean';
import { UsageError } from '../errors';
import { COMMANDS, docsLink, GLOBAL_OPTIONS, GLOBAL_PARSE_OPTIONS, type Command } from './commands';
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
${optionsText([
  ['-h, --help', "show this help, or a command's (migrator <command> --help)"],
  ['-v, --version', 'print the version'],
])}

Configuration comes from environment variables (and a .env file): ${docsLink('configuration.md')}.

Exit codes:
${Object.entries(EXIT_MEANING)
  .map(([code, meaning]) => `  ${code.padStart(3)}  ${meaning}`)
  .join('\n')}`;
}

/** The global options (and `more`), one a line, as the usage shows them. */
function optionsText(more: Array<[flags: string, summary: string]> = []): string {
  const rows: Array<[string, string]> = [
    ...GLOBAL_OPTIONS.map((option): [string, string] => [
      `${option.short ? `-${option.short}, ` : '    '}--${option.name} ${option.value}`,
      option.summary,
    ]),
    ...more,
  ];
  const width = Math.max(...rows.map(([flags]) => flags.length));
  return rows.map(([flags, summary]) => `  ${flags.padEnd(width)}  ${summary}`).join('\n');
}

function commandUsage(command: Command): string {
  return (
    `Usage: ${command.usage}\n\n${command.summary}.${command.details ? `\n\n${command.details}` : ''}` +
    `\n\nOptions of every command:\n${optionsText()}`
  );
}

/** How many leading arguments are global options (with their values): the command name may follow them. */
function leadingGlobalOptions(argv: string[]): number {
  let index = 0;
  for (;;) {
    const argument = argv[index] ?? '';
    const option = GLOBAL_OPTIONS.find((global) => argument === `--${global.name}` || (global.short && argument === `-${global.short}`));
    if (option) index += 2;
    else if (GLOBAL_OPTIONS.some((global) => argument.startsWith(`--${global.name}=`))) index += 1;
    else return Math.min(index, argv.length);
  }
}

/**
 * The command word as typed, after any leading global options (`up` when there is none): what a
 * failure's termination message names, even when parsing itself failed.
 */
export function typedCommand(argv: string[]): string {
  const first = argv[leadingGlobalOptions(argv)];
  return first === undefined || first.startsWith('-') ? 'up' : first;
}

export function parseInvocation(argv: string[]): Invocation {
  // `migrator --url URL status` as well as `migrator status --url URL`.
  const globals = leadingGlobalOptions(argv);
  const first = argv[globals] as string | undefined;
  const rest = [...argv.slice(0, globals), ...argv.slice(globals + 1)];
  if (first === 'help') {
    if (argv.length === globals + 1) return { kind: 'help', text: usage() };
    const about = COMMANDS.find((command) => command.name === argv[globals + 1]);
    if (!about || argv.length > globals + 2) {
      const closest =
        argv[globals + 1] === undefined
          ? undefined
          : closestName(
              argv[globals + 1],
              COMMANDS.map((command) => command.name),
            );
      throw new UsageError(
        `help takes one command name${closest ? ` (did you mean "${closest}"?)` : `, one of ${COMMANDS.map((command) => command.name).join(', ')}`}`,
        usage(),
      );
    }
    return { kind: 'help', text: commandUsage(about) };
  }
  const named = COMMANDS.find((command) => command.name === first);
  if (!named && first !== undefined && !first.startsWith('-')) {
    const closest = closestName(
      first,
      COMMANDS.map((command) => command.name),
    );
    throw new UsageError(`unknown command "${first}"${closest ? ` (did you mean "${closest}"?)` : ''}`, usage());
  }
  if (!named && (first === '-h' || first === '--help')) return { kind: 'help', text: usage() };
  if (!named && (first === '-v' || first === '--version')) return { kind: 'version' };
  const command = named ?? COMMANDS[0];
  let parsed;
  try {
    parsed = parseArgs({
      args: named ? rest : argv,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, ...GLOBAL_PARSE_OPTIONS, help: { type: 'boolean', short: 'h' } },
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
  // parseArgs names an option with a short form as '-d, --url <value>': the long name is the one to show.
  const option = /'(?:-\w, )?(-{1,2}[^' ,]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const known = [...Object.keys(command.options), ...Object.keys(GLOBAL_PARSE_OPTIONS), 'help'].map((name) => `--${name}`);
    const closest = closestName(option, known);
    return `unknown option ${option} for ${command.name}${closest ? ` (did you mean ${closest}?)` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return { ...command.options, ...GLOBAL_PARSE_OPTIONS }[option.replace(/^-+/, '')]?.type === 'string'
      ? `option ${option} needs a value`
      : `option ${option} takes no value`;
  }
  return error.message;
}
