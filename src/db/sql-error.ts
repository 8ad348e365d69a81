/** Turning a PostgreSQL error into something a person can act on: code, line and column in the file. */
import type { SqlFailure } from '../errors';

interface PgErrorFields {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

export function describeSqlFailure(error: unknown, sql: string): SqlFailure {
  const fields = (error ?? {}) as PgErrorFields;
  const failure: SqlFailure = {};
  if (typeof fields.code === 'string') failure.pgCode = fields.code;
  if (fields.detail) failure.detail = fields.detail;
  if (fields.hint) failure.hint = fields.hint;
  const position = Number(fields.position);
  if (Number.isInteger(position) && position > 0) Object.assign(failure, lineAndColumn(sql, position));
  return failure;
}

interface Location {
  line: number;
  column: number;
}

/**
 * PostgreSQL reports a 1-based offset into the query text counted in characters (code points);
 * files are read as that text. Line and column (in characters) of that position, found by walking
 * the text once: migration files can be tens of megabytes, so nothing is copied out of it.
 */
export function lineAndColumn(sql: string, position: number): Location {
  return locate(walk(sql, position - 1, Infinity));
}

/** The same for a 0-based offset in the text's UTF-8 bytes (libpg-query's locations). */
export function lineAndColumnAtByte(sql: string, byteOffset: number): Location {
  return locate(walk(sql, Infinity, byteOffset));
}

/**
 * For a file sent with `prefix` in front of it (a BEGIN; in the same query): PostgreSQL counts the
 * error's position from the start of the text sent, so it is moved back to count from the file's.
 */
export function positionInFile(error: unknown, prefix: string): unknown {
  const fields = error as PgErrorFields | undefined;
  if (fields?.position !== undefined) fields.position = String(Number(fields.position) - walk(prefix, Infinity, Infinity).characters);
  return error;
}

/**
 * For a statement sent alone, cut from a script after `before`: PostgreSQL counts the error's
 * position from the statement's start, so it is moved on to count from the script's.
 */
export function positionAfter(error: unknown, before: string): unknown {
  const fields = error as PgErrorFields | undefined;
  if (fields?.position !== undefined && before.length > 0)
    fields.position = String(Number(fields.position) + walk(before, Infinity, Infinity).characters);
  return error;
}

const NEWLINE = 0x0a;
const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

interface Walked extends Location {
  characters: number;
}

/**
 * Walks the text from its start, character by character, until `maxCharacters` characters or
 * `maxBytes` UTF-8 bytes are passed, or to its end, counting lines and columns. A surrogate pair
 * is one character (of four bytes), as PostgreSQL counts it.
 */
function walk(text: string, maxCharacters: number, maxBytes: number): Walked {
  let line = 1;
  let column = 1;
  let characters = 0;
  let bytes = 0;
  for (let i = 0; i < text.length && characters < maxCharacters && bytes < maxBytes; characters++) {
    const unit = text.charCodeAt(i);
    const pair = isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1));
    if (unit === NEWLINE) {
      line++;
      column = 1;
    } else {
      column++;
    }
    bytes += pair ? 4 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    i += pair ? 2 : 1;
  }
  return { line, column, characters };
}

const locate = ({ line, column }: Walked): Location => ({ line, column });

export function formatLocation(file: string, failure: SqlFailure): string {
  return failure.line === undefined ? file : `${file}:${failure.line}:${failure.column}`;
}
