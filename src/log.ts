/**
 * The root logger: pino JSON, one event per line, written synchronously to stdout so that no line
 * is lost when the process exits right after a failure. Every value passes through the redactor
 * before the line is serialized: keys, level and time are never touched.
 */
import pino from 'pino';
import type { LogFormat, LogLevel } from './config';
import { writeAll } from './write-fd';
import { createRedactor, redactValues } from './redact';

/**
 * What the migrator needs of a logger: one method per level, each taking the event's fields and
 * its message. pino's loggers have this shape, and so can any other.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that adds `bound` to every event's fields (the phase, the scratch database). */
export function withFields(logger: Logger, bound: Record<string, unknown>): Logger {
  return {
    debug: (fields, message) => logger.debug({ ...bound, ...fields }, message),
    info: (fields, message) => logger.info({ ...bound, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...bound, ...fields }, message),
    error: (fields, message) => logger.error({ ...bound, ...fields }, message),
  };
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Values to mask wherever they appear (passwords). */
  secrets?: ReadonlyArray<string | undefined>;
  /** Text printed as it is even where it contains a secret (see RedactorOptions). */
  publicText?: ReadonlyArray<string | undefined>;
  /** Where lines go (default: stdout). Tests pass their own sink. */
  write?: (line: string) => void;
  colorize?: boolean;
}

const writeStdout = (line: string) => {
  writeAll(1, line);
};

/**
 * Fields whose values are the migrator's own words (an outcome, a phase, an error class, a code):
 * never masked, so that they read the same whatever the password is.
 */
const OWN_FIELDS: ReadonlySet<string> = new Set([
  'outcome',
  'errorType',
  'phase',
  'kind',
  'stage',
  'command',
  'signal',
  'variable',
  'pgCode',
  'code',
]);

/** The CLI's logger, and the default of the library: pino, JSON lines to stdout unless told otherwise. */
export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const redact = createRedactor(options.secrets ?? [], { publicText: options.publicText });
  const redactFields = (fields: Record<string, unknown>) => redactValues(fields, redact, OWN_FIELDS);
  const write = options.write ?? writeStdout;
  // Loaded only when a person asked for it: keeps the JSON path (every pod start) light.
  const format = options.format === 'pretty' ? prettyFormatter(options.colorize ?? false) : undefined;
  const destination = {
    write(line: string) {
      write(format ? format(line) : line);
    },
  };
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), bindings: redactFields, log: redactFields },
      serializers: { msg: redact },
    },
    destination,
  );
}

function prettyFormatter(colorize: boolean): (line: string) => string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const pretty = prettyFactory({ colorize, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return (line) => pretty(JSON.parse(line));
}
