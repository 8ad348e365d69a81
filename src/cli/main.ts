#!/usr/bin/env node
/**
 * The `migrator` command: parses arguments, loads configuration, runs the command, logs the outcome
 * and exits with the code documented in docs/exit-codes.md. The only place that calls process.exit.
 */
import { isatty } from 'node:tty';
import {
  colorAllowed,
  connectionUnset,
  describeConnection,
  loadConfig,
  publicTextOf,
  secretsIn,
  secretsOf,
  terminationLog,
  type Env,
  type MigratorConfig,
} from '../config';
import { sqlStateOf } from '../db/query-failure';
import { FleetFailedError, MigratorError, MigrationFailedError, UsageError } from '../errors';
import { createMigrator } from '../create-migrator';
import { logProgress } from '../run/progress-log';
import { liveProgress, progressFor } from './live-progress';
import { createLogger, type Logger } from '../log';
import { createRedactor, redactValues, type Redactor } from '../redact';
import { stepLabel, summarize, type PartialReport } from '../results';
import { packageVersion } from '../version';
import { writeAll } from '../write-fd';
import { parseInvocation, typedCommand } from './args';
import type { Command, CommandContext } from './commands';
import { confirm } from './prompt';
import { environment, inFlagTerms, withGlobalOptions } from './env';
import { EXIT, exitCodeFor } from './exit-codes';
import { fleetSummary } from './fleet-output';
import { formatJson } from './output';
import { writeTerminationMessage } from './termination-message';

/** After a first SIGINT/SIGTERM the run gets this long to roll back and release before we leave. */
const STOP_GRACE_MS = 10_000;
const STDOUT = 1;
const STDERR = 2;

async function main(): Promise<number> {
  const cwd = process.cwd();
  let env: Env = process.env;
  // Until the configuration is known, log with defaults, to stderr: stdout is for results. Nothing
  // is logged before it is known but an error that stops it, a usage or configuration error,
  // which is masked with every password the environment holds (see catch).
  const early = (secrets: string[]) => {
    const masking = { secrets, publicText: publicTextOf() };
    const terminal = isatty(STDERR);
    return {
      logger: createLogger({
        format: terminal ? 'pretty' : 'json',
        colorize: terminal && colorAllowed(env),
        ...masking,
        write: (line) => writeAll(STDERR, line),
      }),
      redact: createRedactor(masking.secrets, masking),
    };
  };
  let { logger, redact }: { logger: Logger; redact: Redactor } = early([]);
  /** Once the configuration is known: a logger to a stream, with its level, format and masking. */
  let loggerTo: ((fd: number) => Logger) | undefined;
  let resultsOnStdout = false;
  let commandName = typedCommand(process.argv.slice(2));
  /** The options given, once read: an error about a variable one of them replaced names the option. */
  let values: Record<string, string | boolean | undefined> = {};
  try {
    env = environment(cwd, process.env);
    const invocation = parseInvocation(process.argv.slice(2));
    if (invocation.kind === 'run') {
      values = invocation.values;
      env = withGlobalOptions(env, values);
    }
    if (invocation.kind === 'help') {
      writeAll(STDOUT, `${invocation.text}\n`);
      return EXIT.success;
    }
    if (invocation.kind === 'version') {
      writeAll(STDOUT, `${packageVersion()}\n`);
      return EXIT.success;
    }
    const { command } = invocation;
    commandName = command.name;
    // A command that prints its result keeps stdout for it: its log lines go to stderr. Whether
    // they are pretty and coloured is up to the stream they go to.
    const logFd = command.printsResult(invocation.values, invocation.positionals) ? STDERR : STDOUT;
    let config = loadConfig(env, { cwd, logsToTerminal: isatty(logFd) });
    const masking = { secrets: secretsOf(config), publicText: publicTextOf(config.connection) };
    // Pretty logs on a terminal get the running step as a live line below them.
    const live = config.log.format === 'pretty' && isatty(logFd) ? liveProgress(logFd) : undefined;
    loggerTo = (fd) =>
      createLogger({
        level: config.log.level,
        format: config.log.format,
        ...masking,
        colorize: isatty(fd) && config.log.color,
        write: fd === logFd && live ? live.write : (line) => writeAll(fd, line),
      });
    logger = loggerTo(logFd);
    resultsOnStdout = logFd === STDERR;
    redact = createRedactor(masking.secrets, masking);
    config = withDefaultsSaid(config, env, command, invocation, loggerTo(STDERR));
    const redactResult = resultRedactor(redact);
    // While a person is asked, a stop has nothing to roll back: the prompt itself says so.
    let asking = false;
    const signal = stopOnSignals(logger, () => asking);
    const migrator = createMigrator(config, { logger, signal, onEvent: progressFor(logger, live, logProgress) });
    const { msg, ...fields } = await command.run({
      config,
      migrator,
      values: invocation.values,
      positionals: invocation.positionals,
      print: (text) => writeAll(STDOUT, redactResult(text)),
      // Not process.stdin: that would open the stream (for a file or /dev/null, loading fs streams) on every start.
      confirm: isatty(0)
        ? async (question) => {
            asking = true;
            try {
              return await confirm(question, signal);
            } finally {
              asking = false;
            }
          }
        : undefined,
      logger,
      showLive: live?.status,
    });
    logger.info({ command: command.name, ...fields, peakRssMb: peakRssMb(), exitCode: EXIT.success }, msg);
    return EXIT.success;
  } catch (thrown) {
    const error = inFlagTerms(thrown, values);
    const exitCode = exitCodeFor(error);
    // A configuration error may quote a value after the password was read (DATABASE_URL's, say):
    // mask every password the environment gives. Usage and configuration errors go to stderr,
    // also those a command finds later: stdout never holds anything but a result.
    if (!loggerTo) ({ logger, redact } = early(secretsIn(env, cwd)));
    else if (exitCode === EXIT.usage && !resultsOnStdout) logger = loggerTo(STDERR);
    const message = failureMessage(error);
    // A command line we cannot read is answered for the person who typed it: plain text and the usage.
    if (error instanceof UsageError) {
      writeTerminationMessage(terminationLog(env), commandName, exitCode, redact(message));
      writeAll(STDERR, `migrator: ${redact(message)}\n\n${error.usage}\n`);
      return exitCode;
    }
    // "Pending" is check's normal answer, not a failure of the migrator; from up (a schema a plain
    // up cannot make current) it stops the release, like any failure.
    const pending = exitCode === EXIT.pendingWork;
    const answer = pending && commandName === 'check';
    if (!answer) writeTerminationMessage(terminationLog(env), commandName, exitCode, redact(message));
    (answer ? logger.warn : logger.error).call(
      logger,
      {
        outcome: pending ? 'pending' : 'failed',
        exitCode,
        ...errorFields(error),
        ...(error instanceof MigratorError && error.report ? failureReport(error.report) : {}),
        peakRssMb: peakRssMb(),
      },
      message,
    );
    return exitCode;
  }
}

/**
 * With no connection configured at all, a command that uses the database says at once which one
 * it tries and why; one that only reads and takes --wait tries it once, unless --wait: `migrator status` typed in
 * the wrong shell should not wait a minute for a server that is not there. `up` waits as it
 * always does: an init container started before its database must wait for it.
 */
function withDefaultsSaid(
  config: MigratorConfig,
  env: Env,
  command: Command,
  invocation: { values: CommandContext['values']; positionals: string[] },
  logger: Logger,
): MigratorConfig {
  const use = command.database(invocation.values, invocation.positionals);
  if (use === 'none' || !connectionUnset(env)) return config;
  const once = use === 'reads' && 'wait' in command.options && invocation.values.wait !== true;
  const target = describeConnection(config.connection);
  logger.warn(
    { target, waitMs: once ? 0 : config.waitTimeoutMs },
    `no DATABASE_URL or PG* variable set: trying ${target} (libpq's defaults)${once ? `, once (${command.name} --wait waits for it)` : ''}`,
  );
  return once ? { ...config, waitTimeoutMs: 0 } : config;
}

/**
 * A result printed with --json is masked value by value, so that its keys stay keys whatever the
 * password is; it is recognised by coming back unchanged from formatJson. Text results are masked as text.
 */
function resultRedactor(redact: Redactor): (text: string) => string {
  return (text) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return redact(text);
    }
    return formatJson(parsed) === text ? formatJson(redactValues(parsed, redact)) : redact(text);
  };
}

/**
 * SIGINT/SIGTERM abort the run (rollback, lock released); a second signal leaves at once. `asking`:
 * whether a confirmation prompt is open, which ends the command at once with nothing changed.
 */
function stopOnSignals(logger: Logger, asking: () => boolean): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    const exitCode = signal === 'SIGTERM' ? EXIT.interruptedBySigterm : EXIT.interruptedBySigint;
    if (controller.signal.aborted) process.exit(exitCode);
    if (!asking()) logger.warn({ signal }, 'stopping: rolling back the running step');
    controller.abort(signal);
    // Not unref'd: work that never settles (a promise nothing will resolve) would otherwise let the
    // event loop drain and the process end with 0, as if the run had succeeded.
    setTimeout(() => {
      logger.error({ signal, exitCode }, 'did not stop in time, leaving without a clean rollback');
      process.exit(exitCode);
    }, STOP_GRACE_MS);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** An error of ours says what happened; any other is unexpected, with PostgreSQL's SQLSTATE when it has one. */
function failureMessage(error: unknown): string {
  if (error instanceof MigratorError) return error.message;
  const sqlState = sqlStateOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return sqlState ? `unexpected database error: ${message} (SQLSTATE ${sqlState})` : `unexpected error: ${message}`;
}

function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return {};
  const fields: Record<string, unknown> = { errorType: error.name };
  if (error instanceof MigrationFailedError) {
    Object.assign(fields, { phase: error.phase, file: error.file, ...error.failure });
  } else if (error instanceof FleetFailedError) {
    Object.assign(fields, fleetSummary(error.fleet));
  } else if (!(error instanceof MigratorError)) {
    const sqlState = sqlStateOf(error);
    if (sqlState) fields.pgCode = sqlState;
  }
  for (const key of ['variable', 'pgCode', 'holderPid', 'signal'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** What a failed run had committed before it stopped, and the step that failed. */
function failureReport(report: PartialReport): Record<string, unknown> {
  return { ...summarize(report), ...(report.failedStep && { failedStep: stepLabel(report.failedStep) }) };
}

function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

void main().then((code) => process.exit(code));
