/**
 * node-pg-migrate: every file of its folder (not starting with a dot) is a migration, named by the
 * file name without its extension, in the order of their numeric prefixes (a 17-digit one read as
 * a UTC time). A .sql file holds both directions after a `-- Up Migration` and a `-- Down
 * Migration` line; JavaScript and TypeScript files export functions that build SQL, which import
 * cannot convert: their SQL is written by hand. Its table `pgmigrations(id, name, run_on)` has one
 * row per applied migration, keyed by that name: a migration that fails rolls back with its row,
 * so the table records no failed run.
 */
import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { ConfigError, ValidationError } from '../errors';
import { columnsOf } from './history-table';
import { readText, refuseDuplicate, titleOf } from './folder';
import type { ConvertedMigration, SourceTool } from './tool';

const TABLE = 'pgmigrations';
const CODE = /\.(?:js|ts|cjs|mjs|cts|mts)$/i;
const PAIRED = /\.(?:up|down)\.sql$/i;
/** node-pg-migrate's sqlMigration: the section starts at this comment line. */
const sectionLine = (direction: 'up' | 'down') => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration.*$`, 'im');

export const nodePgMigrate: SourceTool = {
  name: 'node-pg-migrate',
  table: TABLE,
  layout: '{timestamp}_{name}.sql files with -- Up Migration and -- Down Migration sections (or .js/.ts files)',
  recognizes: (fileNames, read) =>
    fileNames.some((name) => /^\d+.*\.sql$/i.test(name) && sectionLine('up').test(read(name)) && sectionLine('down').test(read(name))),

  convertFolder(dir) {
    const seen = new Map<string, string>();
    return migrationFiles(dir).map((fileName): ConvertedMigration => {
      const name = path.basename(fileName, path.extname(fileName));
      const earlier = seen.get(name);
      if (earlier) refuseDuplicate('node-pg-migrate', name, [earlier, fileName]);
      seen.set(name, fileName);
      if (CODE.test(fileName)) {
        throw new ValidationError(
          `${fileName} is a JavaScript/TypeScript migration: node-pg-migrate runs its code, which import cannot turn into SQL. ` +
            `In a copy of the folder, replace it with ${name}.sql holding its SQL under -- Up Migration and -- Down Migration lines ` +
            '(node-pg-migrate up --dry-run prints it), then import the copy: the history names it the same (docs/adopting.md)',
          fileName,
        );
      }
      if (PAIRED.test(fileName)) {
        throw new ValidationError(
          `${fileName}: node-pg-migrate runs it as a migration of its own (named ${name}), or pairs it with its other half under its sql loader; ` +
            'import reads one .sql file per migration with -- Up Migration and -- Down Migration sections: merge the pair into one such file, named as its row in pgmigrations',
          fileName,
        );
      }
      if (!fileName.toLowerCase().endsWith('.sql')) {
        throw new ValidationError(
          `${fileName} is neither SQL nor JavaScript/TypeScript, yet node-pg-migrate would load it as a migration: move it out of the folder`,
          fileName,
        );
      }
      return {
        version: name,
        title: titleOf(name),
        sources: [fileName],
        ...splitSections(fileName, readText(dir, fileName)),
        inTransaction: true,
      };
    });
  },

  async readHistory(client) {
    await columnsOf(client, TABLE, 'node-pg-migrate');
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${TABLE} ORDER BY run_on, id`);
    const applied = new Set(rows.map((row) => row.name));
    return { recorded: [...applied], isApplied: (version) => applied.has(version), earlierImplied: false };
  },
};

/** The folder's files in node-pg-migrate's order (its getMigrationFilePaths and compareMigrationFileNames). */
function migrationFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new ConfigError(`cannot read the folder to import, ${dir}: ${(error as Error).message}`);
  }
  const files = entries
    .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map((entry) => entry.name);
  const unnumbered = files.find((name) => !/^\d/.test(name));
  if (unnumbered) {
    throw new ValidationError(
      `${unnumbered} has no numeric prefix, which node-pg-migrate orders its migrations by (it refuses such a file too): move it out of the folder`,
      unnumbered,
    );
  }
  return files.sort((a, b) => {
    const difference = numericPrefix(a) - numericPrefix(b);
    return difference !== 0
      ? difference
      : a.localeCompare(b, 'en', { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true });
  });
}

/** node-pg-migrate's getNumericPrefix: the leading digits, 17 of them read as a UTC time in milliseconds. */
function numericPrefix(fileName: string): number {
  const prefix = /^\d+/.exec(fileName)![0];
  if (prefix.length !== 17) return Number(prefix);
  const [year, month, day, hours, minutes, seconds, ms] = [0, 4, 6, 8, 10, 12, 14].map((at, index, starts) =>
    prefix.slice(at, starts[index + 1]),
  );
  return Date.parse(`${year}-${month}-${day}T${hours}:${minutes}:${seconds}.${ms}Z`);
}

/**
 * The up and down sections, as node-pg-migrate's sqlMigration cuts them: the up one from its line
 * to the down line (all of the file without an up line), the down one from its line on; the
 * section lines themselves (comments) are left out.
 */
function splitSections(fileName: string, text: string): { up: string; down?: string } {
  const upLine = sectionLine('up').exec(text);
  const downLine = sectionLine('down').exec(text);
  const section = (start: RegExpExecArray, other: RegExpExecArray | null) =>
    text.slice(start.index + start[0].length, other && other.index > start.index ? other.index : undefined).replace(/^\r?\n/, '');
  if (!upLine && downLine) {
    throw new ValidationError(
      `${fileName} has a -- Down Migration line but no -- Up Migration line, so node-pg-migrate runs all of it, its down section too, as the up migration: ` +
        'add the -- Up Migration line above its up SQL (if the database shows the down section ran, put that in a new migration)',
      fileName,
    );
  }
  const up = upLine ? section(upLine, downLine) : text;
  const down = downLine ? section(downLine, upLine) : undefined;
  return { up, ...(down !== undefined && down.trim() !== '' && { down }) };
}
