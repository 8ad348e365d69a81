/** Reading the other tool's folder for `import`: its .sql files, in name order, as text. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, ValidationError } from '../errors';

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

export function readText(dir: string, fileName: string): string {
  return readFileSync(path.join(dir, fileName), 'utf8');
}

/** A name fit for the history (our names are at most 100 characters): odd characters become _. */
export function titleOf(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100) || 'migration';
}

export function refuseUnrecognized(tool: string, fileName: string, expected: string): never {
  throw new ValidationError(`${fileName} is not a ${tool} migration file name (expected ${expected}): move it out of the folder to import`, fileName);
}

/** Two files of one version: the tool itself would refuse them. */
export function refuseDuplicate(tool: string, version: string, fileNames: string[]): never {
  throw new ValidationError(`${fileNames.join(' and ')} have the same ${tool} version ${version}`, fileNames[1]);
}
