/**
 * Checks on a migration file's bytes before anything runs. We refuse rather than repair: a BOM or a
 * stray byte is part of the file's hash, so silently fixing it would make two runs disagree.
 */
import { isUtf8 } from 'node:buffer';
import { constants, readFileSync } from 'node:fs';
import { ValidationError } from '../errors';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The 1-based line of a byte offset, counting newlines without copying the bytes. */
function lineOf(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(10); at !== -1 && at < offset; at = bytes.indexOf(10, at + 1)) line++;
  return line;
}

/**
 * The file's text, or a ValidationError naming the file (label, e.g. "legacy/001_x.sql"). A NUL
 * byte is refused here: PostgreSQL's protocol cannot carry one, and would only say "invalid message format".
 */
export function decodeSqlText(label: string, bytes: Buffer): string {
  if (bytes.subarray(0, 3).equals(BOM)) {
    throw new ValidationError(`${label} starts with a byte-order mark: save it as UTF-8 without BOM`, label);
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1)
    throw new ValidationError(
      `${label} contains a NUL byte (on line ${lineOf(bytes, nul)}), which PostgreSQL cannot receive: remove it`,
      label,
    );
  // toString keeps ASCII text in one byte per character, which matters for very large migrations.
  const text = bytes.toString('utf8');
  if (!isUtf8(bytes)) {
    throw new ValidationError(`${label} is not valid UTF-8 (first bad byte on line ${lineOfFirstBadByte(text)}): save it as UTF-8`, label);
  }
  return text;
}

/** Decoding turned the first bad byte into U+FFFD; its line is counted in place, without splitting a file that may be huge. */
function lineOfFirstBadByte(text: string): number {
  const bad = text.indexOf('\uFFFD');
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < bad; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/**
 * Opened without waiting: were the file swapped for a FIFO after its folder was listed
 * (folder-entries.ts refuses one), the read fails at once instead of waiting for a writer forever.
 */
export const READ_WITHOUT_WAITING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** A migration file's bytes (label: e.g. "legacy/001_x.sql"), with a clear error when it cannot be read. */
export function readBytes(label: string, filePath: string): Buffer {
  try {
    return readFileSync(filePath, { flag: READ_WITHOUT_WAITING });
  } catch (error) {
    throw new ValidationError(`cannot read ${label} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, label);
  }
}
