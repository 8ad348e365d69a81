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

/** PostgreSQL reports a 1-based character offset into the query text; files are read as that text. */
export function lineAndColumn(sql: string, position: number): { line: number; column: number } {
  const before = Array.from(sql).slice(0, position - 1).join('');
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * For a file sent with `prefix` in front of it (a BEGIN; in the same query): PostgreSQL counts the
 * error's position from the start of the text sent, so it is moved back to count from the file's.
 */
export function positionInFile(error: unknown, prefix: string): unknown {
  const fields = error as PgErrorFields | undefined;
  if (fields?.position !== undefined) fields.position = String(Number(fields.position) - Array.from(prefix).length);
  return error;
}

export function formatLocation(file: string, failure: SqlFailure): string {
  return failure.line === undefined ? file : `${file}:${failure.line}:${failure.column}`;
}
