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
const REDRAW_MS = 1000;

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
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    if (running) writeAll(fd, `${CLEAR_LINE}${running.text}  ${Math.floor((Date.now() - running.started) / 1000)} s`);
  };
  const clear = () => {
    if (running) writeAll(fd, CLEAR_LINE);
  };
  return {
    write(line) {
      clear();
      writeAll(fd, line);
      draw();
    },
    status(text) {
      clear();
      running = text === undefined ? undefined : { text, started: running?.started ?? Date.now() };
      draw();
      if (running) timer ??= setInterval(draw, REDRAW_MS).unref();
      else {
        clearInterval(timer);
        timer = undefined;
      }
    },
    onEvent: (logEvent) => (event) => {
      if (event.type === 'applying') {
        running = { text: `applying ${event.index}/${event.total} ${stepLabel(event.step)}`, started: Date.now() };
        draw();
        timer ??= setInterval(draw, REDRAW_MS).unref();
        return;
      }
      if (event.type === 'applied' || event.type === 'failed') {
        clear();
        running = undefined;
        clearInterval(timer);
        timer = undefined;
      }
      logEvent(event);
    },
  };
}

/** The log lines and, on a terminal, the live line: what the CLI hands the migrator as onEvent. */
export function progressFor(logger: Logger, live: LiveProgress | undefined, logEvent: (logger: Logger) => (event: MigratorEvent) => void) {
  return live ? live.onEvent(logEvent(logger)) : logEvent(logger);
}
