/** A very large versioned migration: INSERTs of 1000 rows each, about 90 kB per line. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** What the migration's table must look like. */
export const LARGE_TABLE_SQL = 'CREATE TABLE big (n int NOT NULL, payload text NOT NULL);';

export interface LargeMigrationOptions {
  /** A line written after the first statement, so that it is line 2. */
  secondLine?: string;
  /** A line written after the last statement. */
  lastLine?: string;
}

/** Writes at least `bytes` of INSERTs into `file`; resolves with how many rows they insert and how many lines the file has. */
export async function writeLargeMigration(
  file: string,
  bytes: number,
  options: LargeMigrationOptions = {},
): Promise<{ rows: number; lines: number }> {
  const rows = Array.from({ length: 1000 }, (_, i) => `(${i}, '${'x'.repeat(80)}')`).join(',');
  const statement = `INSERT INTO big (n, payload) VALUES ${rows};\n`;
  const out = createWriteStream(file);
  let written = 0;
  let statements = 0;
  let lines = 0;
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
    written += line.length;
    lines++;
  };
  while (written < bytes) {
    await write(statement);
    statements++;
    if (statements === 1 && options.secondLine !== undefined) await write(`${options.secondLine}\n`);
  }
  if (options.lastLine !== undefined) await write(`${options.lastLine}\n`);
  out.end();
  await once(out, 'finish');
  return { rows: statements * 1000, lines };
}
