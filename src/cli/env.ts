/** The environment the CLI runs with: the process's own, over a .env file in the working folder; the command line's global options over both. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config';
import { ConfigError, UsageError } from '../errors';
import { GLOBAL_OPTIONS } from './commands';

export function environment(cwd: string, processEnv: Env): Env {
  let content: Buffer;
  try {
    content = readFileSync(path.join(cwd, '.env'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { ...processEnv };
  }
  // dotenv is loaded only when there is a file: containers seldom have one, and every start pays for a load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parse } = require('dotenv') as typeof import('dotenv');
  // Real environment variables win, as dotenv does by default.
  return { ...parse(content), ...processEnv };
}

/** The environment with the global options given (--url, --migrations-dir) in place of the variables they stand for. */
export function withGlobalOptions(env: Env, values: Record<string, string | boolean | undefined>): Env {
  const result: Record<string, string | undefined> = { ...env };
  for (const option of GLOBAL_OPTIONS) {
    const given = values[option.name];
    if (typeof given !== 'string') continue;
    // Blank, the variable would count as unset, and the run would go on with the defaults.
    if (given.trim() === '') throw new ConfigError(`--${option.name} needs a value`, `--${option.name}`);
    for (const name of option.alsoReplaces) delete result[name];
    result[option.variable] = given;
  }
  return result;
}

/**
 * A configuration error about a variable a global option stood in for, in the words of the
 * command line: "--url must be a URL like ...", not "DATABASE_URL must be ...".
 */
export function inFlagTerms(error: unknown, values: Record<string, string | boolean | undefined>): unknown {
  if (!(error instanceof ConfigError) || error instanceof UsageError) return error;
  const option = GLOBAL_OPTIONS.find((global) => typeof values[global.name] === 'string' && error.variable === global.variable);
  if (!option) return error;
  return new ConfigError(error.message.replaceAll(option.variable, `--${option.name}`), `--${option.name}`);
}
