/**
 * Checks on a migration file's bytes before anything runs. We refuse rather than repair: a BOM or a
 * stray byte is part of the file's hash, so silently fixing it would make two runs disagree.
 */
import { ValidationError } from '../errors';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's text, or a ValidationError naming the file (label, e.g. "legacy/001_x.sql"). */
export function decodeSqlText(label: string, bytes: Buffer): string {
  if (bytes.subarray(0, 3).equals(BOM)) {
    throw new ValidationError(`${label} starts with a byte-order mark: save it as UTF-8 without BOM`, label);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const line = bytes.toString('utf8').split('\uFFFD')[0].split('\n').length;
    throw new ValidationError(`${label} is not valid UTF-8 (first bad byte on line ${line}): save it as UTF-8`, label);
  }
  if (text.trim() === '') throw new ValidationError(`${label} is empty`, label);
  return text;
}

/** A file read as a migration, with a clear error when it cannot be read. */
export async function readBytes(label: string, read: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await read();
  } catch (error) {
    throw new ValidationError(`cannot read ${label} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, label);
  }
}
