/** The environment the CLI runs with: the process's own, over a .env file in the working folder. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import type { Env } from '../config';

export function environment(cwd: string, processEnv: Env): Env {
  let fromFile: Env = {};
  try {
    fromFile = parse(readFileSync(path.join(cwd, '.env')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Real environment variables win, as dotenv does by default.
  return { ...fromFile, ...processEnv };
}
