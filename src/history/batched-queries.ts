/**
 * postgres-migrations applies a file in four steps: START TRANSACTION, the file, the history
 * INSERT and COMMIT, each awaited before the next is sent. This stand-in for the client it is
 * given sends START TRANSACTION as is, the file through `runFile` (db/script.ts: one statement at
 * a time, so that no statement of the file can end the transaction unseen), and holds the INSERT
 * so that it goes with the COMMIT in one query, after SQL that gives the session back its own
 * state (the table is named qualified, db/own-tables.ts, so no search_path finds another). The
 * library is unchanged and still decides everything: which files, in which order, with or without a
 * transaction, how failures end: a failure of the file or of the INSERT surfaces at its step,
 * which the library handles like any other (ROLLBACK, "An error occurred running ...").
 * Anything outside that sequence (a file with the library's disable-transaction marker, its
 * history INSERT) goes out as is.
 */
import type pg from 'pg';

const BEGIN = 'START TRANSACTION';
const COMMIT = 'COMMIT';
type Query = string | pg.QueryConfig;

/** The library's history INSERT into `table`, with `values` as its VALUES list. */
const historyInsert = (table: string, values: string) => `INSERT INTO ${table} ("id", "name", "hash") VALUES (${values})`;

/**
 * The library's INSERT of a history row into `table` (the name it was given, qualified: see
 * db/own-tables.ts), a parameterised statement from sql-template-strings.
 */
export function isHistoryInsert(query: Query, table: string): boolean {
  return typeof query !== 'string' && query.text === historyInsert(table, '$1,$2,$3') && query.values?.length === 3;
}
type Send = (query: Query) => Promise<unknown>;

const NO_RESULT = { command: '', rowCount: 0, rows: [], fields: [], oid: 0 };

export interface BatchedQueries {
  query(query: Query): Promise<unknown>;
}

export interface BatchedOptions {
  /** Runs one query for real. */
  send: Send;
  /** Runs a file that the library runs in its transaction. */
  runFile(sql: string): Promise<unknown>;
  escapeLiteral(value: string): string;
  /** SQL sent before the held history INSERT (in the same query): the session's own state back. */
  sessionReset: string;
  /** The history table as the library was given it, whose INSERT is held. */
  historyTable: string;
  /** A statement run in the file's transaction right before its history row, in the same query. */
  guard?: string;
}

export function batchedQueries({ send, runFile, escapeLiteral, sessionReset, historyTable, guard }: BatchedOptions): BatchedQueries {
  /** Where the library is in the sequence of a file it runs in its transaction. */
  let stage: 'outside' | 'begun' | 'file run' = 'outside';
  let held: pg.QueryConfig | undefined;
  return {
    async query(query) {
      if (query === BEGIN && stage === 'outside') {
        await send(query);
        stage = 'begun';
        return NO_RESULT;
      }
      if (stage === 'begun' && typeof query === 'string' && query !== 'ROLLBACK') {
        await runFile(query);
        stage = 'file run';
        return NO_RESULT;
      }
      if (stage === 'file run' && !held && isHistoryInsert(query, historyTable)) {
        held = query as pg.QueryConfig;
        return NO_RESULT;
      }
      const insert = held;
      held = undefined;
      stage = 'outside';
      if (query === COMMIT && insert) {
        const values = insert.values!.map((value) => escapeLiteral(String(value)));
        const history = historyInsert(historyTable, values.join(','));
        return send(`${sessionReset};${guard ? `${guard};` : ''}${history};${COMMIT}`);
      }
      // A ROLLBACK after a failure: the held INSERT is dropped, never sent.
      if (insert && query !== 'ROLLBACK') await send(insert);
      return send(query);
    },
  };
}
