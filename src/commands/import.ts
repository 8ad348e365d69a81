/**
 * `import --from <tool> <folder>`: converts a folder of another tool's migrations into versioned/
 * and versioned/down/, with ids 1..N in that tool's order and, in each file's header, the
 * migration it came from (which `baseline --from` matches); its repeatable files (Flyway's R__)
 * into repeatable/, numbered in tens in the order the tool runs them. Writes only into an empty
 * versioned/ (and repeatable/, when there are repeatable files), and never over a file.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { originLine, toolNamed, type ConvertedMigration, type ConvertedRepeatable } from '../adopt';
import { ConfigError } from '../errors';
import { isMigrationFile, MAX_NAME_LENGTH, NO_TRANSACTION_MARKER } from '../history';
import { REPEATABLE_FOLDER } from '../source';
import { DOWN_FOLDER } from './new-migration';

export interface ImportedMigration {
  /** The new file, relative to the migrations folder: versioned/1_create_users.sql. */
  file: string;
  downFile?: string;
  /** The other tool's version of it; undefined for a repeatable file (repeatable/010_views.sql). */
  version?: string;
  sources: string[];
}

export async function importMigrations(migrationsDir: string, toolName: string, fromDir: string): Promise<ImportedMigration[]> {
  const tool = toolNamed(toolName, true);
  const versionedDir = path.join(migrationsDir, 'versioned');
  if (path.resolve(fromDir) === path.resolve(versionedDir)) {
    throw new ConfigError(
      `import reads the ${tool.name} files from a folder of their own, not from versioned/ itself: move them out first`,
    );
  }
  refuseFilledFolder(versionedDir);
  const converted = tool.convertFolder!(fromDir);
  const repeatable = tool.convertRepeatable?.(fromDir) ?? [];
  if (converted.length + repeatable.length === 0) throw new ConfigError(`${fromDir} holds no ${tool.name} migration (.sql files)`);
  if (repeatable.length > 0) refuseFilledRepeatable(path.join(migrationsDir, REPEATABLE_FOLDER));
  const names = uniqueNames(converted);
  const written = converted.map((migration, index) => {
    const fileName = `${index + 1}_${names[index]}.sql`;
    const header = originLine(tool.name, migration.version, migration.sources);
    return {
      file: path.join('versioned', fileName),
      up: `${header}\n${migration.inTransaction ? '' : `${NO_TRANSACTION_MARKER}\n`}\n${migration.up}`,
      ...(migration.down !== undefined && {
        downFile: path.join('versioned', DOWN_FOLDER, fileName),
        down: `${header}\n\n${migration.down}`,
      }),
      version: migration.version,
      sources: migration.sources,
    };
  });
  const repeatableFiles = repeatableWrites(tool.name, repeatable);
  mkdirSync(path.join(versionedDir, DOWN_FOLDER), { recursive: true });
  if (repeatableFiles.length > 0) mkdirSync(path.join(migrationsDir, REPEATABLE_FOLDER), { recursive: true });
  for (const { file, up, downFile, down } of written) {
    writeFileSync(path.join(migrationsDir, file), up, { flag: 'wx' });
    if (downFile) writeFileSync(path.join(migrationsDir, downFile), down!, { flag: 'wx' });
  }
  for (const { file, sql } of repeatableFiles) writeFileSync(path.join(migrationsDir, file), sql, { flag: 'wx' });
  return [
    ...written.map(({ file, downFile, version, sources }) => ({ file, ...(downFile && { downFile }), version, sources })),
    ...repeatableFiles.map(({ file, source }) => ({ file, sources: [source] })),
  ];
}

/**
 * repeatable/<NNN>_<title>.sql in the tool's order, numbered in tens as `migrator new --repeatable`
 * numbers them, the file they came from in a comment. No origin line: no history row names them,
 * and the first `up` runs them (they are written to run again).
 */
function repeatableWrites(toolName: string, files: ConvertedRepeatable[]): Array<{ file: string; sql: string; source: string }> {
  const width = Math.max(3, String(files.length * 10).length);
  return files.map(({ title, source, sql }, index) => ({
    file: path.join(REPEATABLE_FOLDER, `${String((index + 1) * 10).padStart(width, '0')}_${title}.sql`),
    sql: `-- Imported from ${toolName}'s ${source}.\n\n${sql}`,
    source,
  }));
}

function refuseFilledRepeatable(repeatableDir: string): void {
  const files = existsSync(repeatableDir) ? readdirSync(repeatableDir).filter((name) => name.toLowerCase().endsWith('.sql')) : [];
  if (files.length === 0) return;
  throw new ConfigError(
    `repeatable/ already holds ${files.length} file(s) (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''}): ` +
      'import writes the repeatable files into an empty repeatable/. Import into a new migrations folder (MIGRATIONS_DIR)',
  );
}

/**
 * Imported ids start at 1: with migrations already in versioned/ (or down files in down/), which
 * goes first would be a guess. A new migrations folder takes the import; the project's own files
 * follow it, given the next ids with `migrator renumber`.
 */
function refuseFilledFolder(versionedDir: string): void {
  const present = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter(isMigrationFile) : []);
  const files = [...present(versionedDir), ...present(path.join(versionedDir, DOWN_FOLDER)).map((name) => `${DOWN_FOLDER}/${name}`)];
  if (files.length === 0) return;
  throw new ConfigError(
    `versioned/ already holds ${files.length} file(s) (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''}): ` +
      'import writes ids 1..N into an empty versioned/. Import into a new migrations folder (MIGRATIONS_DIR), then move your own files in after the imported ones with migrator renumber',
  );
}

/** The history keeps names unique: a title used twice (add_index, add_index) gets its tool version appended. */
function uniqueNames(migrations: ConvertedMigration[]): string[] {
  const counts = new Map<string, number>();
  for (const { title } of migrations) counts.set(title, (counts.get(title) ?? 0) + 1);
  return migrations.map(({ title, version }) => {
    if (counts.get(title) === 1) return title;
    const suffix = `_${version.replace(/\./g, '_')}`;
    return `${title.slice(0, MAX_NAME_LENGTH - suffix.length)}${suffix}`;
  });
}
