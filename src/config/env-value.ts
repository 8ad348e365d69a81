/** Reading single environment variables: blanks count as unset, secrets may come from files. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';

export type Env = Readonly<Record<string, string | undefined>>;

export function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** A file a setting names, relative to cwd; a file that cannot be read is that setting's error. */
export function readSettingFile(file: string, setting: string, cwd: string): string {
  try {
    return readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, setting);
  }
}

/** direct or fromFile, not both; fromFile names a secret mounted as a file (Docker/Kubernetes secrets), read without its trailing newline. */
export function exclusive(env: Env, direct: string, fromFile: string, cwd: string): string | undefined {
  const file = value(env, fromFile);
  if (value(env, direct) !== undefined && file !== undefined) {
    throw new ConfigError(`set ${direct} or ${fromFile}, not both`, fromFile);
  }
  return file === undefined ? value(env, direct) : readSettingFile(file, fromFile, cwd).replace(/\r?\n$/, '');
}
