/** Reading the other tool's folder for `import`: its .sql files, in name order, as text. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ValidationError } from '../errors';
import { MAX_NAME_LENGTH } from '../history';

/** The .sql file names of dir, sorted; other files (a README, .conf files) are not migrations. */
export function sqlFileNames(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new ConfigError(`cannot read the folder to import, ${dir}: ${(error as Error).message}`);
  }
  return names.filter((name) => name.toLowerCase().endsWith('.sql')).sort();
}

/** A file's text; a byte order mark, which versioned files may not have, is left out. */
export function readText(dir: string, fileName: string): string {
  return readFileSync(path.join(dir, fileName), 'utf8').replace(/^\uFEFF/, '');
}

/** A name fit for the history, which keeps at most MAX_NAME_LENGTH characters: odd characters become _. */
export function titleOf(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, MAX_NAME_LENGTH) || 'migration';
}

export function refuseUnrecognized(tool: string, fileName: string, expected: string): never {
  throw new ValidationError(
    `${fileName} is not a ${tool} migration file name (expected ${expected}): move it out of the folder to import`,
    fileName,
  );
}

/** Two files of one version: the tool itself would refuse them. */
export function refuseDuplicate(tool: string, version: string, fileNames: string[]): never {
  throw new ValidationError(`${fileNames.join(' and ')} have the same ${tool} version ${version}`, fileNames[1]);
}
