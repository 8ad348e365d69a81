/** The environment the CLI runs with: the process's own, over a .env file in the working folder. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config';

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
