/**
 * Writing a whole text to a file descriptor, synchronously, so that no line is lost when the
 * process exits right after a failure. A pipe that another part of the process (or a child
 * sharing it) has made non-blocking refuses writes with EAGAIN while the reader is slow; writeSync
 * then throws, or writes part of the text. So this waits a moment and writes the rest.
 */
import { writeSync } from 'node:fs';

const RETRY_WAIT_MS = 2;
const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeAll(fd: number, text: string): void {
  let rest = Buffer.from(text);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, RETRY_WAIT_MS);
    }
  }
}
