/**
 * Masking secrets in what leaves the process: log values, command results, child-process output,
 * the termination message. It works on values, never on serialized lines, so keys, levels and JSON
 * syntax stay as they are whatever the password is (docs/security.md).
 */

export const REDACTED = '[REDACTED]';

/** Masks the secrets in one piece of text. */
export interface Redactor {
  (text: string): string;
  /**
   * The run of secret occurrences (and URLs with credentials) that a cut of `text` at `at` would
   * split in two, as [first start, last end]; undefined when a cut there splits none.
   */
  runAt(text: string, at: number): Range | undefined;
  /**
   * How far a secret's occurrence can reach: held back from the end of text still arriving, no
   * occurrence that starts before the held-back part is ever cut unseen.
   */
  readonly reach: number;
}

export interface RedactorOptions {
  /**
   * Text the migrator prints as it is: user, database and host names, its own examples. A password
   * occurrence inside it is left alone; masking it there would hide nothing.
   */
  publicText?: ReadonlyArray<string | undefined>;
}

export type Range = [start: number, end: number];

/**
 * Below this length, a password of letters, digits and _ turns up in ordinary text by chance
 * ("app" in "applied", "postgres" in "postgres-migrations"), so it is masked only where it stands
 * as a word of its own. Longer passwords, and any with other characters, are masked wherever they occur.
 */
const CHANCE_LENGTH = 12;
const WORD_CHARACTER = /[\p{L}\p{N}_]/u;
const WORD = /^[\p{L}\p{N}_]+$/u;
/** A password in any URL (another database's, a webhook's): group 1 is the password. */
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:([^@/?#\s]+)@/dgi;
/** The longest URL with credentials that output arriving in pieces is sure to see whole. */
const URL_REACH = 2048;

interface Pattern {
  form: string;
  wholeWordOnly: boolean;
}

export function createRedactor(secrets: ReadonlyArray<string | undefined>, options: RedactorOptions = {}): Redactor {
  const patterns: Pattern[] = [];
  for (const secret of secrets) {
    if (!secret) continue;
    const wholeWordOnly = secret.length < CHANCE_LENGTH && WORD.test(secret);
    // Outside text may carry the secret JSON-escaped (a child's JSON output) or percent-encoded (a URL).
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])) {
      patterns.push({ form, wholeWordOnly });
    }
  }
  const publicText = (options.publicText ?? []).filter((text): text is string => Boolean(text));
  const redact = (text: string) => {
    const ranges = [...secretRanges(text, patterns), ...urlPasswordRanges(text)].filter(
      (range) => !publicText.some((known) => isInside(text, range, known)),
    );
    return ranges.length === 0 ? text : mask(text, ranges);
  };
  const reach = Math.max(URL_REACH, ...patterns.map(({ form }) => form.length + 2 * CONTEXT));
  const runAt = (text: string, at: number) => runAcross([...uncuttableRanges(text, patterns), ...urlRanges(text)], at);
  return Object.assign(redact, { runAt, reach });
}

/** A copy of a log object or result with every string value masked; keys, and the values of `keep` fields, untouched. */
export function redactValues<T>(value: T, redact: Redactor, keep: ReadonlySet<string> = new Set()): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValues(item, redact, keep)) as T;
  if (value === null || typeof value !== 'object') return value;
  const prototype = Object.getPrototypeOf(value);
  // Dates and other class instances serialize themselves; only plain data is walked.
  if (prototype !== Object.prototype && prototype !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, keep.has(key) ? item : redactValues(item, redact, keep)]),
  ) as T;
}

function secretRanges(text: string, patterns: Pattern[]): Range[] {
  const ranges: Range[] = [];
  for (const { form, wholeWordOnly } of patterns) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
      const end = at + form.length;
      if (wholeWordOnly && (continuesWord(text, at - 1, -1) || continuesWord(text, end, 1) || text.startsWith('://', end))) continue;
      ranges.push([at, end]);
    }
  }
  return ranges;
}

/** How many characters on either side of an occurrence decide whether it is masked (continuesWord, "://"). */
const CONTEXT = 3;

/**
 * Every occurrence of a secret, masked or not, with the characters that decide it: where text must
 * not be cut. A newline in that context decides on its own (it neither continues a word nor starts
 * "://"), so the context stops at it: a line that ends just after a secret is passed on when it ends.
 */
function uncuttableRanges(text: string, patterns: Pattern[]): Range[] {
  const ranges: Range[] = [];
  for (const { form } of patterns) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
      const end = at + form.length;
      const newlineBefore = at > 0 ? text.lastIndexOf('\n', at - 1) : -1;
      const newlineAfter = text.indexOf('\n', end);
      ranges.push([
        newlineBefore !== -1 && newlineBefore >= at - CONTEXT ? newlineBefore + 1 : at - CONTEXT,
        newlineAfter !== -1 && newlineAfter < end + CONTEXT ? newlineAfter + 1 : end + CONTEXT,
      ]);
    }
  }
  return ranges;
}

/**
 * Whether the character at `index` makes the text there part of a longer word: a letter, digit or
 * _, or a - or . joining another one ("postgres-migrations", "127.0.0.1"). A "://" after a word
 * makes it a URL's scheme, not a password.
 */
function continuesWord(text: string, index: number, direction: 1 | -1): boolean {
  const character = text[index];
  if (character === undefined) return false;
  if (WORD_CHARACTER.test(character)) return true;
  const beyond = text[index + direction];
  return (character === '-' || character === '.') && beyond !== undefined && WORD_CHARACTER.test(beyond);
}

function urlPasswordRanges(text: string): Range[] {
  if (!text.includes('://')) return [];
  return [...text.matchAll(URL_CREDENTIALS)].map((match) => match.indices![1] as Range);
}

function urlRanges(text: string): Range[] {
  if (!text.includes('://')) return [];
  return [...text.matchAll(URL_CREDENTIALS)].map((match) => match.indices![0] as Range);
}

/** The overlapping ranges that together cover `at` (a range covers what lies strictly inside it). */
function runAcross(ranges: Range[], at: number): Range | undefined {
  ranges.sort((a, b) => a[0] - b[0]);
  let run: Range | undefined;
  for (const [start, end] of ranges) {
    if (run && start < run[1]) run[1] = Math.max(run[1], end);
    else if (start >= at) break;
    else run = [start, end];
  }
  return run && run[0] < at && at < run[1] ? run : undefined;
}

function isInside(text: string, [start, end]: Range, known: string): boolean {
  for (let at = text.indexOf(known, Math.max(0, end - known.length)); at !== -1 && at <= start; at = text.indexOf(known, at + 1)) {
    if (at + known.length >= end) return true;
  }
  return false;
}

function mask(text: string, ranges: Range[]): string {
  ranges.sort((a, b) => a[0] - b[0]);
  let result = '';
  let done = 0;
  for (const [start, end] of ranges) {
    if (end <= done) continue;
    result += text.slice(done, Math.max(start, done)) + (start >= done ? REDACTED : '');
    done = end;
  }
  return result + text.slice(done);
}

/** The longest line kept whole; past it (a tool writing binary, not text) the line is masked and passed on in parts. */
const MAX_LINE_CHARACTERS = 64 * 1024;

/**
 * Masks a child process's output line by line as it arrives, so that a secret split across two
 * chunks is still found whole; end() passes on an unfinished last line. A line longer than
 * MAX_LINE_CHARACTERS is passed on in parts, each cut where it splits no secret: the last
 * `redact.reach` characters wait for what follows them. Only a line that is one unbroken run of
 * overlapping secrets past twice that bound is cut inside the run, and then the whole run is masked.
 */
export function lineRedactor(redact: Redactor, write: (text: string) => void): { write(chunk: Buffer): void; end(): void } {
  const decoder = new TextDecoder();
  let pending = '';
  const flush = (upTo: number, force = false) => {
    if (upTo <= 0) return;
    const run = redact.runAt(pending, upTo);
    if (!run) {
      write(redact(pending.slice(0, upTo)));
      pending = pending.slice(upTo);
    } else if (run[0] > 0) {
      write(redact(pending.slice(0, run[0])));
      pending = pending.slice(run[0]);
    } else if (force) {
      write(REDACTED);
      pending = pending.slice(run[1]);
    }
  };
  return {
    write(chunk) {
      pending += decoder.decode(chunk, { stream: true });
      flush(pending.lastIndexOf('\n') + 1);
      if (pending.length > MAX_LINE_CHARACTERS) flush(pending.length - redact.reach, pending.length > 2 * MAX_LINE_CHARACTERS);
    },
    end() {
      pending += decoder.decode();
      if (pending) write(redact(pending));
      pending = '';
    },
  };
}
