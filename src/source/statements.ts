/**
 * The top-level statements of a SQL file, found the way psql splits a script: semicolons end a
 * statement except inside quotes ('…', E'…', "…", $tag$…$tag$), comments (--, nested /* … *\/),
 * parentheses, or the BEGIN … END body of a CREATE FUNCTION/PROCEDURE (BEGIN ATOMIC). Not a
 * parser: it reads only as far as it must to tell where statements start and what their first
 * words are, so that files can be checked before anything runs.
 */

export interface Statement {
  /** Offset of the statement's first word in the text (0-based, in UTF-16 code units). */
  offset: number;
  /** The 1-based line it starts on. */
  line: number;
  /** Its first bare words (outside quotes and comments), upper-cased: enough to tell what kind of statement it is. */
  words: string[];
}

/** How many leading words are kept per statement. */
const WORDS_KEPT = 6;

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
  let current: (Statement & { routine: string; beginDepth: number }) | undefined;
  let parenDepth = 0;

  const skipTo = (end: number, from: number) => {
    for (let i = from; i < end; i++) if (sql.charCodeAt(i) === NEWLINE) line++;
    return end;
  };
  /** Marks the start of a statement at a token that is not a comment. */
  const touch = (offset: number) => {
    current ??= { offset, line, words: [], routine: '', beginDepth: 0 };
    return current;
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
      touch(i);
      const escapes = i > 0 && (sql.charCodeAt(i - 1) | 32) === 101 && !isWordPart(sql.charCodeAt(i - 2));
      i = skipTo(quotedEnd(sql, i, QUOTE, escapes), i);
    } else if (code === DOUBLE_QUOTE) {
      touch(i);
      i = skipTo(quotedEnd(sql, i, DOUBLE_QUOTE, false), i);
    } else if (code === DOLLAR && !(i > 0 && isWordPart(sql.charCodeAt(i - 1)))) {
      touch(i);
      const tag = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = skipTo(close === -1 ? sql.length : close + tag[0].length, i);
      } else {
        i++;
      }
    } else if (isWordStart(code)) {
      const statement = touch(i);
      let end = i + 1;
      while (end < sql.length && isWordPart(sql.charCodeAt(end))) end++;
      const word = sql.slice(i, end).toUpperCase();
      if (statement.words.length < WORDS_KEPT) statement.words.push(word);
      trackRoutineBody(statement, word);
      i = end;
    } else if (code === SEMICOLON && parenDepth === 0 && (current?.beginDepth ?? 0) === 0) {
      if (current) statements.push({ offset: current.offset, line: current.line, words: current.words });
      current = undefined;
      i++;
    } else {
      if (code === OPEN_PAREN) parenDepth++;
      else if (code === CLOSE_PAREN && parenDepth > 0) parenDepth--;
      touch(i);
      i++;
    }
  }
  if (current) statements.push({ offset: current.offset, line: current.line, words: current.words });
  return statements;
}

/**
 * psql's rule for SQL-standard routine bodies: in a statement that starts CREATE [OR REPLACE]
 * FUNCTION or PROCEDURE, BEGIN opens a block that END closes (CASE too, once inside one), and
 * semicolons inside it do not end the statement.
 */
function trackRoutineBody(statement: { words: string[]; routine: string; beginDepth: number }, word: string): void {
  if (statement.routine === '' && statement.words.length <= 4) {
    const lead = statement.words.join(' ');
    if (/^CREATE (OR REPLACE )?(FUNCTION|PROCEDURE)$/.test(lead)) statement.routine = lead;
    return;
  }
  if (statement.routine === '') return;
  if (word === 'BEGIN') statement.beginDepth++;
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
  const [first, second, third] = statement.words;
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
