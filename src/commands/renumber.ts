/**
 * `renumber <file>`: gives a versioned file (and its down file) the next free id. For the file of
 * a branch merged after another branch took the same id; never for a file already applied somewhere.
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { DOWN_FOLDER } from './new-migration';

const ID_PREFIX = /^(\d+)([-_]?.*\.(sql|js))$/i;

export async function renumber(migrationsDir: string, fileName: string): Promise<{ from: string; to: string }> {
  const dir = path.join(migrationsDir, 'versioned');
  const base = path.basename(fileName);
  const match = ID_PREFIX.exec(base);
  if (!match || !existsSync(path.join(dir, base))) throw new ConfigError(`no versioned migration named ${base} in ${dir}`);
  const ids = readdirSync(dir)
    .map((name) => ID_PREFIX.exec(name))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]));
  const renamed = `${Math.max(...ids) + 1}${match[2]}`;
  renameSync(path.join(dir, base), path.join(dir, renamed));
  const down = path.join(dir, DOWN_FOLDER, base);
  if (existsSync(down)) renameSync(down, path.join(dir, DOWN_FOLDER, renamed));
  return { from: base, to: renamed };
}
