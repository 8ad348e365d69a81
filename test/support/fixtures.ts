/** Migration folders under test/fixtures, copied to a temporary folder when a test edits them. */
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function fixturePath(name: string): string {
  return path.resolve(__dirname, '..', 'fixtures', name);
}

export interface TempMigrations {
  dir: string;
  /** Writes (or overwrites) a file relative to the migrations folder, e.g. "versioned/3_x.sql". */
  write(relative: string, content: string): void;
  remove(): void;
}

/** A writable copy of a fixture (or an empty migrations folder when name is omitted). */
export function tempMigrations(name?: string): TempMigrations {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-test-'));
  if (name) cpSync(fixturePath(name), dir, { recursive: true });
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
