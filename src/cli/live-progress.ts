/**
 * On a terminal, the step that is running is one live line under the log lines, redrawn every
 * second with its elapsed time (`applying 37/1000 versioned/37_x.sql  4 s`), and cleared before
 * any log line is written, so a long migration is never a silent screen. Elsewhere (JSON logs,
 * kubectl logs) each step's start is a log line instead, with its index and the total.
 */
import type { Logger } from '../log';
import { writeAll } from '../write-fd';
import { stepLabel, type MigratorEvent } from '../results';

const CLEAR_LINE = '\r\u001b[2K';
const SECOND_MS = 1000;

export interface LiveProgress {
  /** Writes a log line, keeping the live line below it. */
  write(line: string): void;
  /** Shows a line of the command's own (fleet: `targets 312/1000, 2 failed`) as the live line; undefined clears it. */
  status(text: string | undefined): void;
  /** Turns progress events into the live line, and the rest into log lines through `logEvent`. */
  onEvent(logEvent: (event: MigratorEvent) => void): (event: MigratorEvent) => void;
}

export function liveProgress(fd: number): LiveProgress {
  let running: { text: string; started: number } | undefined;
  let shownSeconds = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (!running) return;
    shownSeconds = Math.floor((Date.now() - running.started) / SECOND_MS);
    writeAll(fd, `${CLEAR_LINE}${running.text}  ${shownSeconds} s`);
  };
  const clear = () => {
    if (running) writeAll(fd, CLEAR_LINE);
  };
  // Timers run on libuv's clock, in whole milliseconds, and the line counts by Date.now(): a
  // one-second interval can fire when the line's clock says 999 ms and show the same count twice.
  // Each tick aims at the line's next whole second, and one that comes early aims again instead
  // of redrawing.
  const tick = () => {
    if (!running) return;
    const elapsed = Date.now() - running.started;
    if (Math.floor(elapsed / SECOND_MS) !== shownSeconds) draw();
    timer = setTimeout(tick, SECOND_MS - (elapsed % SECOND_MS)).unref();
  };
  const show = (next: typeof running) => {
    clear();
    running = next;
    clearTimeout(timer);
    draw();
    tick();
  };
  return {
    write(line) {
      clear();
      writeAll(fd, line);
      draw();
    },
    status(text) {
      show(text === undefined ? undefined : { text, started: running?.started ?? Date.now() });
    },
    onEvent: (logEvent) => (event) => {
      if (event.type === 'applying') {
        show({ text: `applying ${event.index}/${event.total} ${stepLabel(event.step)}`, started: Date.now() });
        return;
      }
      if (event.type === 'applied' || event.type === 'failed') show(undefined);
      logEvent(event);
    },
  };
}

/** The log lines and, on a terminal, the live line: what the CLI hands the migrator as onEvent. */
export function progressFor(logger: Logger, live: LiveProgress | undefined, logEvent: (logger: Logger) => (event: MigratorEvent) => void) {
  return live ? live.onEvent(logEvent(logger)) : logEvent(logger);
}
