/**
 * postgres-migrations applies a file in four round trips: START TRANSACTION, the file, the history
 * INSERT and COMMIT, each awaited before the next is sent. That waiting, not PostgreSQL's work, is
 * most of what applying many small files costs. This stand-in for the client it is given sends
 * that exact sequence as one simple query instead, which PostgreSQL runs statement by statement as
 * if sent apart: after an error it skips the rest and leaves the transaction aborted, and the
 * library's ROLLBACK (sent as is) ends it. The library is unchanged and still decides everything:
 * which files, in which order, with or without a transaction, how failures end.
 *
 * The first three steps are answered at once and held; COMMIT sends them all. So a failure in the
 * file or the INSERT surfaces at the COMMIT step, which the library handles like any other step
 * (ROLLBACK, "An error occurred running ..."). Anything outside that sequence (a file with the
 * library's disable-transaction marker, its history queries, its lock) goes out as is, after
 * whatever was held, in order.
 */
import type pg from 'pg';
import { positionInFile } from '../db/sql-error';

const BEGIN = 'START TRANSACTION';
const COMMIT = 'COMMIT';
/** The library's history INSERT, a parameterised statement from sql-template-strings. */
const HISTORY_INSERT = /^INSERT INTO migrations \("id", "name", "hash"\) VALUES \(\$1,\$2,\$3\)$/;

type Query = string | pg.QueryConfig;

/** The library's INSERT of a history row. */
export function isHistoryInsert(query: Query): boolean {
  return typeof query !== 'string' && HISTORY_INSERT.test(query.text) && query.values?.length === 3;
}
type Send = (query: Query) => Promise<unknown>;

const NO_RESULT = { command: '', rowCount: 0, rows: [], fields: [], oid: 0 };

/** A file longer than this (in characters) is sent on its own, between the other three. */
const SEND_APART_CHARS = 1_000_000;

export interface BatchedQueries {
  query(query: Query): Promise<unknown>;
}

/**
 * `send` runs one query for real; an error from a batch points into the file as when sent alone.
 * `guard`: a statement run in the file's transaction right before its history row, in the same query.
 */
export function batchedQueries(send: Send, escapeLiteral: (value: string) => string, guard?: string): BatchedQueries {
  let held: Query[] = [];
  const flush = async () => {
    const queries = held;
    held = [];
    for (const query of queries) await send(query);
  };
  const isFile = (query: Query) => held.length === 1 && typeof query === 'string';
  const isInsert = (query: Query) => held.length === 2 && isHistoryInsert(query);
  return {
    async query(query) {
      if (query === BEGIN && held.length === 0) {
        held.push(query);
        return NO_RESULT;
      }
      if (isFile(query) || isInsert(query)) {
        held.push(query);
        return NO_RESULT;
      }
      if (query === COMMIT && held.length === 3) {
        const [, file, insert] = held as [string, string, pg.QueryConfig];
        held = [];
        const values = insert.values!.map((value) => escapeLiteral(String(value)));
        const history = insert.text.replace(/\$(\d)/g, (_, n: string) => values[Number(n) - 1]);
        if (file.length > SEND_APART_CHARS) {
          // Joined, a very large file would exist twice in memory (the text and the one query made
          // of it); against its transfer, three more round trips are nothing.
          await send(BEGIN);
          await send(file);
          if (guard) await send(guard);
          await send(history);
          return send(COMMIT);
        }
        // The newline ends a trailing "--" comment of the file; the ";" a last statement without one.
        try {
          return await send(`${BEGIN};${file}\n;${guard ? `${guard};` : ''}${history};${COMMIT}`);
        } catch (error) {
          throw positionInFile(error, `${BEGIN};`);
        }
      }
      // Nothing held was sent, so there is no transaction to roll back (an abort before the file).
      if (query === 'ROLLBACK' && held.length > 0) {
        held = [];
        return NO_RESULT;
      }
      await flush();
      return send(query);
    },
  };
}
