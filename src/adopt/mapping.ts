/**
 * How baseline ties the history of a tool whose migrations are code (Knex, TypeORM, Kysely) to
 * versioned files, which cannot be converted from that code: either a mapping file, one line
 * `<their migration name> <versioned file name or id>` per migration, in the files' order
 * (several of theirs may share one file that holds them all; # starts a comment), or --up-to N:
 * files 1..N hold everything the tool applied. Both refuse, before anything is written, what
 * would record a file whose changes are not in place.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ValidationError } from '../errors';
import type { SourceTool, ToolHistory } from './tool';

/** The versioned files, ids 1..N in order (source/ loads them; adopt/ sits below it). */
type VersionedFiles = readonly { id: number; fileName: string }[];

export type Mapping = { upTo: number } | { file: string; lines: MappingLine[] };

export interface MappingLine {
  /** 1-based, for messages. */
  line: number;
  name: string;
  /** The versioned file name or id, as written. */
  target: string;
}

/** The mapping file's lines; the name is all that comes before the last word, which is the target. */
export function readMapping(file: string): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the mapping file ${file}: ${(error as Error).message}`, '--mapping');
  }
  const lines: MappingLine[] = [];
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    const content = raw.replace(/(^|\s)#.*$/, '').trim();
    if (content === '') continue;
    const match = /^(.+?)\s+(\S+)$/.exec(content);
    if (!match) {
      throw new ValidationError(
        `${file} line ${index + 1} ("${content}") is not "<their migration name> <versioned file name or id>"`,
        file,
      );
    }
    lines.push({ line: index + 1, name: match[1], target: match[2] });
  }
  return { file, lines };
}

/**
 * The id of the last versioned file that holds a migration the tool applied, with every file up
 * to it holding only applied ones. table: the tool's table as read, for messages.
 */
export function mappedUpTo(tool: SourceTool, table: string, files: VersionedFiles, history: ToolHistory, mapping: Mapping): number {
  if (history.recorded.length === 0) {
    throw new ValidationError(`${table} records no migration as applied: there is nothing to baseline (run migrator up)`);
  }
  if ('upTo' in mapping) return mapping.upTo;
  const { file, lines } = mapping;
  const ids = resolveTargets(file, files, lines);
  const byName = new Map<string, MappingLine>();
  lines.forEach((line, at) => {
    const earlier = byName.get(line.name);
    if (earlier) throw new ValidationError(`${file} maps ${line.name} twice, on lines ${earlier.line} and ${line.line}: keep one`, file);
    byName.set(line.name, line);
    if (at > 0 && ids[at] < ids[at - 1]) {
      throw new ValidationError(
        `${file} line ${line.line} maps ${line.name} to versioned/${fileName(files, ids[at])}, before line ${lines[at - 1].line}'s ` +
          `versioned/${fileName(files, ids[at - 1])}: list the lines in the order of the versioned files`,
        file,
      );
    }
  });
  const unmapped = history.recorded.find((name) => !byName.has(name));
  if (unmapped !== undefined) {
    const near = lines.find((line) => line.name === unmapped.replace(/\.[^.]+$/, '') || line.name.replace(/\.[^.]+$/, '') === unmapped);
    throw new ValidationError(
      `${table} records ${tool.name} migration ${unmapped} as applied, but ${file} has no line for it` +
        `${near ? ` (line ${near.line} names ${near.name}: the name must be as ${table} records it)` : ''}: ` +
        `add the line "${unmapped} <versioned file>" naming the file that holds its changes`,
      file,
    );
  }
  const upTo = Math.max(...history.recorded.map((name) => ids[lines.indexOf(byName.get(name)!)]));
  const last = `versioned/${fileName(files, upTo)}, the last file holding a migration ${tool.name} applied`;
  lines.forEach((line, at) => {
    if (ids[at] > upTo || history.isApplied(line.name)) return;
    throw new ValidationError(
      `${file} line ${line.line} maps ${line.name} to versioned/${fileName(files, ids[at])}, which is not after ${last}, ` +
        `but ${table} does not record ${line.name} as applied: apply it with ${tool.name} first, or correct the line`,
      file,
    );
  });
  const mapped = new Set(ids);
  for (const versioned of files.slice(0, upTo)) {
    if (mapped.has(versioned.id)) continue;
    throw new ValidationError(
      `versioned/${versioned.fileName} is not after ${last}, but no line of ${file} maps a ${tool.name} migration to it: ` +
        `add the lines of the migrations it holds, or, if its changes came another way, baseline with --up-to instead`,
      versioned.fileName,
    );
  }
  return upTo;
}

/** Each line's file id: the target is a versioned file's name or its id. */
function resolveTargets(file: string, files: VersionedFiles, lines: MappingLine[]): number[] {
  return lines.map((line) => {
    const found = files.find((versioned) => versioned.fileName === line.target || String(versioned.id) === line.target);
    if (found) return found.id;
    throw new ValidationError(
      `${file} line ${line.line} maps ${line.name} to ${line.target}, but versioned/ has no file of that name or id ` +
        `(its ids run 1 to ${files.length}): write that file, or correct the line`,
      file,
    );
  });
}

function fileName(files: VersionedFiles, id: number): string {
  return files[id - 1].fileName;
}
