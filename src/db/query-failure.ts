/**
 * A database error raised outside any step, by a query of the migrator's own (taking the lock,
 * reading or creating the history): one clear message with PostgreSQL's SQLSTATE, instead of an
 * error no outcome describes.
 */
import { DatabaseQueryError } from '../errors';

/** Deadlock and serialization failure: PostgreSQL chose our query to roll back so that another session could go on. */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** The SQLSTATE of an error PostgreSQL raised (node-postgres' DatabaseError), not of a socket error. */
export function sqlStateOf(error: unknown): string | undefined {
  const { code, severity } = (error ?? {}) as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** doing: what the session was doing, as "while ..." completes it. */
export function ownQueryFailure(error: Error, pgCode: string, doing: string): DatabaseQueryError {
  const what = `${error.message} (SQLSTATE ${pgCode}) while ${doing}`;
  return new DatabaseQueryError(
    CONFLICT_CODES.has(pgCode)
      ? `${what}: a query of the migrator's own conflicted with another session, and PostgreSQL rolled it back; run again`
      : `unexpected database error: ${what}`,
    pgCode,
    { cause: error },
  );
}
