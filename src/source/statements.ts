/**
 * The top-level statements of a SQL file, found the way psql splits a script: semicolons end a
 * statement except inside quotes ('…', E'…', "…", $tag$…$tag$), comments (--, nested /* … *\/),
 * parentheses, or the BEGIN ATOMIC … END body of a CREATE FUNCTION/PROCEDURE. Not a
 * parser: it reads only as far as it must to tell where statements start and what their first
 * words are, so that files can be checked before anything runs.
 */

export interface Statement {
  /** Offset of the statement's first token in the text (0-based, in UTF-16 code units). */
  offset: number;
  /** Offset just past its last character: its terminating semicolon, or the end of the text. */
  end: number;
  /** The 1-based line it starts on. */
  line: number;
  /**
   * Its first tokens, enough to tell what kind of statement it is and what it names: bare words
   * upper-cased, quoted identifiers as written ("Order Items"), a string literal as '', any other
   * character as itself.
   */
  tokens: string[];
}

/** How many leading tokens are kept per statement. */
const TOKENS_KEPT = 16;

const NEWLINE = 10;
const SEMICOLON = 59;
const QUOTE = 39;
const DOUBLE_QUOTE = 34;
const DOLLAR = 36;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const BACKSLASH = 92;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;

const isWordStart = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 128;
const isWordPart = (code: number) => isWordStart(code) || (code >= 48 && code <= 57) || code === DOLLAR;

export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let line = 1;
  let current: (Omit<Statement, 'end'> & RoutineBody) | undefined;
  let parenDepth = 0;

  const skipTo = (end: number, from: number) => {
    for (let i = from; i < end; i++) if (sql.charCodeAt(i) === NEWLINE) line++;
    return end;
  };
  /** Marks the start of a statement at a token that is not a comment, and keeps the token. */
  const touch = (offset: number, token: string) => {
    current ??= { offset, line, tokens: [], words: 0, routine: '', beginDepth: 0, previous: '' };
    if (current.tokens.length < TOKENS_KEPT) current.tokens.push(token);
    return current;
  };
  const finish = (end: number) => {
    if (current) statements.push({ offset: current.offset, end, line: current.line, tokens: current.tokens });
    current = undefined;
  };

  let i = 0;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (code === NEWLINE) {
      line++;
      i++;
    } else if (code <= 32) {
      i++;
    } else if (code === DASH && next === DASH) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (code === SLASH && next === STAR) {
      i = skipTo(blockCommentEnd(sql, i), i);
    } else if (code === QUOTE) {
      touch(i, "''");
      const escapes = i > 0 && (sql.charCodeAt(i - 1) | 32) === 101 && !isWordPart(sql.charCodeAt(i - 2));
      i = skipTo(quotedEnd(sql, i, QUOTE, escapes), i);
    } else if (code === DOUBLE_QUOTE) {
      const end = quotedEnd(sql, i, DOUBLE_QUOTE, false);
      touch(i, sql.slice(i, Math.min(end, i + 128)));
      i = skipTo(end, i);
    } else if (code === DOLLAR && !(i > 0 && isWordPart(sql.charCodeAt(i - 1)))) {
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
      touch(i, tag ? "''" : '$');
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = skipTo(close === -1 ? sql.length : close + tag[0].length, i);
      } else {
        i++;
      }
    } else if (isWordStart(code)) {
      let end = i + 1;
      while (end < sql.length && isWordPart(sql.charCodeAt(end))) end++;
      const word = sql.slice(i, end).toUpperCase();
      const statement = touch(i, word);
      statement.words++;
      trackRoutineBody(statement, word);
      i = end;
    } else if (code === SEMICOLON && parenDepth === 0 && (current?.beginDepth ?? 0) === 0) {
      finish(i + 1);
      i++;
    } else {
      if (code === OPEN_PAREN) parenDepth++;
      else if (code === CLOSE_PAREN && parenDepth > 0) parenDepth--;
      touch(i, sql[i]);
      i++;
    }
  }
  finish(sql.length);
  return statements;
}

/** What the splitter follows of a statement to find a SQL-standard routine body. */
interface RoutineBody {
  tokens: string[];
  words: number;
  /** "CREATE FUNCTION" and the like when the statement creates a routine, else "". */
  routine: string;
  /** How many BEGIN ATOMIC (and CASE inside one) are open. */
  beginDepth: number;
  /** The word before this one. */
  previous: string;
}

/**
 * SQL-standard routine bodies: in a statement that starts CREATE [OR REPLACE] FUNCTION or
 * PROCEDURE, BEGIN ATOMIC opens a block that END closes (CASE too, once inside one), and
 * semicolons inside it do not end the statement. Only BEGIN ATOMIC: a parameter or anything else
 * named begin opens nothing (psql's own rule takes any BEGIN, and then runs the rest of the
 * script as part of the function).
 */
function trackRoutineBody(statement: RoutineBody, word: string): void {
  const previous = statement.previous;
  statement.previous = word;
  if (statement.routine === '' && statement.words <= 4) {
    const lead = statement.tokens.slice(0, statement.words).join(' ');
    if (/^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE)$/.test(lead)) statement.routine = lead;
    return;
  }
  if (statement.routine === '') return;
  if (word === 'ATOMIC' && previous === 'BEGIN') statement.beginDepth++;
  else if (word === 'CASE' && statement.beginDepth > 0) statement.beginDepth++;
  else if (word === 'END' && statement.beginDepth > 0) statement.beginDepth--;
}

/** The offset just past a /* comment, which nests in PostgreSQL. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (code === SLASH && next === STAR) {
      depth++;
      i += 2;
    } else if (code === STAR && next === SLASH) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** The offset just past a quoted string or identifier; a doubled quote is part of it, and in E'…' a backslash escapes. */
function quotedEnd(sql: string, start: number, quote: number, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (backslashEscapes && code === BACKSLASH) {
      i += 2;
    } else if (code === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/**
 * What a statement that ends or starts a transaction looks like: the migrator runs legacy
 * scripts, table files and versioned files in transactions of its own, which such a statement
 * would end early (and in a dry run, commit).
 */
export function transactionControl(statement: Statement): string | undefined {
  const [first, second, third] = statement.tokens;
  switch (first) {
    case 'BEGIN':
    case 'COMMIT':
    case 'END':
    case 'ABORT':
      return first;
    case 'START':
      return second === 'TRANSACTION' ? 'START TRANSACTION' : undefined;
    case 'ROLLBACK':
      // ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] undoes part of a transaction and keeps it open.
      return second === 'TO' || ((second === 'WORK' || second === 'TRANSACTION') && third === 'TO') ? undefined : 'ROLLBACK';
    case 'PREPARE':
      return second === 'TRANSACTION' ? 'PREPARE TRANSACTION' : undefined;
    default:
      return undefined;
  }
}

/**
 * A statement PostgreSQL refuses to run inside a transaction block, as its first words say;
 * undefined for the others. Such a statement must be alone in a versioned file that opts out of
 * the transaction: PostgreSQL runs a query of several statements as one implicit transaction.
 */
export function refusesTransaction(statement: Statement): string | undefined {
  const words = statement.tokens;
  const [first, second] = words;
  const concurrently = words.indexOf('CONCURRENTLY');
  if (first === 'CREATE' && concurrently > 0 && words.slice(1, concurrently).every((word) => word === 'INDEX' || word === 'UNIQUE'))
    return 'CREATE INDEX CONCURRENTLY';
  if (first === 'DROP' && second === 'INDEX' && words[2] === 'CONCURRENTLY') return 'DROP INDEX CONCURRENTLY';
  if (first === 'REINDEX' && concurrently > 0) return 'REINDEX CONCURRENTLY';
  if (first === 'ALTER' && words.includes('DETACH') && concurrently > 0) return 'DETACH PARTITION CONCURRENTLY';
  if (first === 'VACUUM') return 'VACUUM';
  if (first === 'CREATE' && second === 'DATABASE') return 'CREATE DATABASE';
  return undefined;
}

/** An identifier as PostgreSQL reads it: a quoted one as written, a bare one folded to lower case. */
function identifier(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (token.startsWith('"')) return token.slice(1, -1).replace(/""/g, '"');
  return /^[A-Z_\u0080-\uffff][A-Z0-9_$\u0080-\uffff]*$/.test(token) ? token.toLowerCase() : undefined;
}

/** A relation or schema as a statement names it; without a schema, it is looked up on the search path. */
export interface QualifiedName {
  schema?: string;
  name: string;
}

/** Where indexes are built: on a relation, in a schema, or anywhere in the database. */
export type BuildPlace = { relation: QualifiedName } | { schema: string } | 'database';

/** `[schema.]name` at `at`, or undefined when the words there are not one. */
function qualifiedName(words: string[], at: number): QualifiedName | undefined {
  const first = identifier(words[at]);
  if (first === undefined) return undefined;
  if (words[at + 1] !== '.') return { name: first };
  const second = identifier(words[at + 2]);
  return second === undefined ? undefined : { schema: first, name: second };
}

/**
 * Where a statement that builds indexes CONCURRENTLY (CREATE INDEX or REINDEX) builds them, as
 * far as its words say: on its table (for REINDEX INDEX, on that index), in the schema REINDEX
 * SCHEMA names, or, for REINDEX DATABASE and words it cannot read, anywhere. Undefined for other
 * statements.
 */
export function concurrentBuildPlace(statement: Statement): BuildPlace | undefined {
  const refused = refusesTransaction(statement);
  const words = statement.tokens;
  if (refused === 'CREATE INDEX CONCURRENTLY') {
    const on = words.indexOf('ON', words.indexOf('CONCURRENTLY'));
    const table = on < 0 ? undefined : qualifiedName(words, words[on + 1] === 'ONLY' ? on + 2 : on + 1);
    return table ? { relation: table } : 'database';
  }
  if (refused !== 'REINDEX CONCURRENTLY') return undefined;
  // REINDEX [ ( option [, ...] ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
  let at = words[1] === '(' ? words.indexOf(')') + 1 : 1;
  if (at === 0) return 'database';
  const kind = words[at++];
  if (words[at] === 'CONCURRENTLY') at++;
  const named = qualifiedName(words, at);
  if (named === undefined) return 'database';
  if (kind === 'INDEX' || kind === 'TABLE') return { relation: named };
  if (kind === 'SCHEMA' && named.schema === undefined) return { schema: named.name };
  return 'database';
}

/** The index a CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] [schema.]table statement builds. */
export function concurrentIndex(statement: Statement): { index: string; schema?: string; table?: string } | undefined {
  if (refusesTransaction(statement) !== 'CREATE INDEX CONCURRENTLY') return undefined;
  const words = statement.tokens;
  let at = words.indexOf('CONCURRENTLY') + 1;
  if (words[at] === 'IF' && words[at + 1] === 'NOT' && words[at + 2] === 'EXISTS') at += 3;
  if (words[at] === 'ON') return undefined;
  const index = identifier(words[at]);
  if (index === undefined) return undefined;
  at++;
  if (words[at] !== 'ON') return { index };
  at++;
  if (words[at] === 'ONLY') at++;
  const table = qualifiedName(words, at);
  return { index, ...(table?.schema !== undefined && { schema: table.schema }), ...(table && { table: table.name }) };
}
