/**
 * Runs a script (a legacy script, a table file, a versioned file) on a connection one statement at
 * a time, so that the server, not our lexer, enforces where statements end: each statement goes as
 * its own extended-protocol query, and PostgreSQL refuses a Parse message that holds two ("cannot
 * insert multiple commands into a prepared statement"). A statement our splitter merged by mistake
 * (a parameter named begin, quoting that reads differently under standard_conforming_strings =
 * off) therefore fails instead of running; it is split again by PostgreSQL's own parser when the
 * optional libpg-query is installed (the refusal aborted the transaction, so the caller runs it
 * again, and the script then sends the parts), and refused with a clear message when it is not.
 *
 * After every statement the transaction status the server reported is checked: a statement that
 * ended the caller's transaction stops the script at once, with an error that says so.
 */
import type pg from 'pg';
import { splitStatements } from '../source/statements';
import { sessionResetSql } from './session';
import { lineAndColumnAtByte, positionAfter } from './sql-error';

/** Why a script was stopped by the migrator rather than by an error of PostgreSQL. */
export type ScriptStop =
  /** A statement ended the transaction the script ran in: what ran before it was committed. */
  | 'ended-transaction'
  /** PostgreSQL's parser found a statement that ends or starts a transaction: nothing of the piece ran. */
  | 'transaction-control'
  /** The server read several statements where the splitter saw one, and they could not be split safely: it did not run. */
  | 'unsplittable'
  /**
   * The server refused a statement the splitter merged, which aborted the transaction; PostgreSQL's
   * parser split it, and the next run of the script sends its parts: run the transaction again.
   */
  | 'run-again';

export class ScriptStoppedError extends Error {
  constructor(
    message: string,
    readonly stop: ScriptStop,
    /** The 1-based line, in the script, of the statement at fault. */
    readonly line: number,
  ) {
    super(message);
  }
}

/**
 * What became of the work when a script was stopped: in planning (a dry run, always meant to be
 * rolled back) or when applied in a transaction of the migrator's.
 */
export function stoppedOutcome(stop: ScriptStop, stage: 'plan' | 'apply'): string {
  if (stop !== 'ended-transaction')
    return stage === 'plan' ? 'found while planning, so nothing was changed' : 'its transaction was rolled back';
  return stage === 'plan'
    ? 'that committed the planning transaction: the dry runs before it and the statements of this file before that line WERE committed, and planning stopped there'
    : 'the statements of this file before that line stay committed, and nothing after it ran';
}

/** A query node-postgres sends with the extended protocol (pg's queryMode option, which its types do not list yet). */
const extended = (text: string) => ({ text, queryMode: 'extended' }) as pg.QueryConfig;

const MULTIPLE_COMMANDS = 'cannot insert multiple commands into a prepared statement';

interface Piece {
  text: string;
  /** Where the piece starts in the script, in UTF-16 code units. */
  offset: number;
  line: number;
}

/**
 * Statements the splitter merged, as PostgreSQL's parser split them, by script and by where the
 * merged statement starts: found when the server refused one (which aborts the transaction), used
 * when the script runs again. Rare: only scripts that fool the splitter are kept.
 */
const parserSplits = new Map<string, Map<number, Piece[]>>();

/**
 * Runs every statement of `sql`, in order, on `client`. Rejects with PostgreSQL's error (its
 * position counted from the script's start), or with a ScriptStoppedError.
 */
export async function runScript(client: pg.Client, sql: string): Promise<void> {
  const inTransaction = client.getTransactionStatus() === 'T';
  const known = parserSplits.get(sql);
  const run = async (piece: Piece, fromParser: boolean): Promise<void> => {
    try {
      await client.query(extended(piece.text));
    } catch (error) {
      if (!fromParser && (error as Error).message === MULTIPLE_COMMANDS) {
        const parts = await splitByParser(piece);
        parserSplits.set(sql, (known ?? new Map<number, Piece[]>()).set(piece.offset, parts));
        throw new ScriptStoppedError(
          "PostgreSQL read this statement as several where the migrator's splitter saw one, and its parser split it: the transaction is run again",
          'run-again',
          piece.line,
        );
      }
      throw positionAfter(error, sql.slice(0, piece.offset));
    }
    // node-postgres keeps the status of the server's last ReadyForQuery and offers it publicly.
    if (inTransaction && client.getTransactionStatus() === 'I') {
      throw new ScriptStoppedError("this statement ended the migrator's transaction", 'ended-transaction', piece.line);
    }
  };
  for (const statement of splitStatements(sql)) {
    const parts = known?.get(statement.offset);
    if (parts) {
      for (const part of parts) await run(part, true);
    } else {
      await run({ text: sql.slice(statement.offset, statement.end), offset: statement.offset, line: statement.line }, false);
    }
  }
}

/**
 * Runs a file's statements (runScript), then gives the session back the migrator's own state
 * (session.ts), with `then`, SQL of the migrator's own, in the same query: no step after it, and
 * none of the migrator's queries, sees what the file set. Resolves with that query's last result.
 */
export async function runFileThenReset(client: pg.Client, sql: string, then?: string): Promise<pg.QueryResult> {
  await runScript(client, sql);
  const result = (await client.query(then ? `${sessionResetSql(client)};${then}` : sessionResetSql(client))) as unknown as
    pg.QueryResult | pg.QueryResult[];
  return Array.isArray(result) ? result[result.length - 1] : result;
}

interface LibpgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: Array<{ stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }> };
}

let parser: Promise<LibpgQuery | undefined> | undefined;

/** PostgreSQL's parser (libpg-query, an optional peer: a production install has none). */
function loadParser(): Promise<LibpgQuery | undefined> {
  parser ??= (async () => {
    let module: LibpgQuery;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      module = require('libpg-query') as LibpgQuery;
    } catch {
      return undefined;
    }
    await module.loadModule();
    return module;
  })();
  return parser;
}

/**
 * A piece the server read as several statements, split by PostgreSQL's parser. Its locations
 * are UTF-8 byte offsets into the piece. A statement that ends or starts a transaction is refused
 * before any of them runs.
 */
async function splitByParser(piece: Piece): Promise<Piece[]> {
  const why =
    "PostgreSQL reads this statement as several where the migrator's splitter saw one (e.g. a word it took for BEGIN ATOMIC, or quoting under standard_conforming_strings = off)";
  const libpgQuery = await loadParser();
  if (!libpgQuery) {
    throw new ScriptStoppedError(
      `${why}, and PostgreSQL's parser (the optional package libpg-query) is not installed to split it, so it was not run: end each statement with a semicolon outside quotes`,
      'unsplittable',
      piece.line,
    );
  }
  let statements: NonNullable<ReturnType<LibpgQuery['parseSync']>['stmts']>;
  try {
    statements = libpgQuery.parseSync(piece.text).stmts ?? [];
  } catch (error) {
    throw new ScriptStoppedError(
      `${why}, and PostgreSQL's parser, with default settings, cannot split it (${(error as Error).message}), so it was not run`,
      'unsplittable',
      piece.line,
    );
  }
  const bytes = Buffer.from(piece.text, 'utf8');
  const pieces = statements.map(({ stmt, stmt_location: location = 0, stmt_len: length = 0 }) => {
    const end = length === 0 ? bytes.length : location + length;
    const offset = piece.offset + bytes.subarray(0, location).toString('utf8').length;
    const line = piece.line + lineAndColumnAtByte(piece.text, location).line - 1;
    return { text: bytes.subarray(location, end).toString('utf8'), offset, line, kind: Object.keys(stmt)[0] };
  });
  const control = pieces.find((part) => part.kind === 'TransactionStmt');
  if (control) {
    throw new ScriptStoppedError(
      `${control.text.trim().split(/\s/)[0].toUpperCase()} ends or starts a transaction, and the migrator's splitter did not see it (PostgreSQL's parser did), so none of these statements ran: remove it, the migrator begins and commits the transaction itself`,
      'transaction-control',
      control.line,
    );
  }
  return pieces;
}
