/** The one question the CLI asks a person at a terminal: "do it? [y/N]", before a destructive command changes anything. */
import { InterruptedError } from '../errors';
import { writeAll } from '../write-fd';

const STDERR = 2;

/**
 * Resolves with whether the answer is yes; no answer (Ctrl-D, the end of input) is no. Ctrl-C
 * rejects with InterruptedError at once: readline on a terminal reads it itself (its raw mode),
 * and otherwise the terminal sends SIGINT, which aborts `signal`. Nothing has been changed then.
 */
export async function confirm(question: string, signal: AbortSignal): Promise<boolean> {
  // Loaded here: only a person at a terminal is ever asked, and readline costs every start a little.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createInterface } = require('node:readline/promises') as typeof import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const stop = new AbortController();
  const onStop = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onStop, { once: true });
  prompt.on('SIGINT', () => stop.abort('SIGINT'));
  // Closed input leaves readline's question unsettled; an unsettled promise would end the process with 0.
  const closed = new Promise<undefined>((resolve) => prompt.once('close', () => resolve(undefined)));
  let answer: string | undefined;
  try {
    answer = await Promise.race([prompt.question(question, { signal: stop.signal }), closed]);
  } catch (error) {
    // readline rejects a question whose input ended on a terminal (Ctrl-D) as it does a stopped one.
    if (!stop.signal.aborted && (error as Error).name !== 'AbortError') throw error;
  } finally {
    signal.removeEventListener('abort', onStop);
    prompt.close();
  }
  if (answer !== undefined) return /^y(es)?$/i.test(answer.trim());
  // No answer: the cursor is still after the question, and the log line starts a line of its own.
  writeAll(STDERR, '\n');
  if (stop.signal.aborted) throw InterruptedError.from(stop.signal, 'at the confirmation prompt, nothing was changed');
  return false;
}
