/** The package's version, from its package.json. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * package.json sits one folder above this code in every form it runs in: src/version.ts,
 * dist/version.js, and the single-file dist/migrator.js. That is why this module is at the top.
 */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}
