/** Migration folders under test/fixtures, copied to a temporary folder when a test edits them. */
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function fixturePath(name: string): string {
  return path.resolve(__dirname, '..', 'fixtures', name);
}

/** The repository's own migrations/: the sample app at its current release. */
export const SAMPLE_MIGRATIONS = path.resolve(__dirname, '..', '..', 'migrations');

/** Dumps of the sample app's database as releases 1 and 2 left it. */
export const RELEASE_DUMPS = { v1: fixturePath('releases/v1.sql'), v2: fixturePath('releases/v2.sql') };

/** The sample app's migrations folder as release 2 shipped it (its image, run against a newer database). */
export const RELEASE_2_MIGRATIONS = fixturePath('releases/v2-migrations');

export interface TempMigrations {
  dir: string;
  /** Writes (or overwrites) a file relative to the migrations folder, e.g. "versioned/3_x.sql". */
  write(relative: string, content: string): void;
  remove(): void;
}

/** A writable copy of a fixture, or of a folder given by its path (or an empty migrations folder when omitted). */
export function tempMigrations(name?: string): TempMigrations {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-test-'));
  if (name) cpSync(path.isAbsolute(name) ? name : fixturePath(name), dir, { recursive: true });
  return {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
