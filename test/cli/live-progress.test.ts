/**
 * The live line's elapsed seconds count up one by one. Its timers run on libuv's clock, in whole
 * milliseconds, and the line counts by Date.now(): a timer set for one second can fire when the
 * line's clock says 999 ms (it did in CI, and the line showed "1 s" twice where "2 s" was due).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveProgress } from '../../src/cli/live-progress';
import type { PlannedStep } from '../../src/results';

const step: PlannedStep = { phase: 'versioned', kind: 'migration', file: '3_slow.sql', action: 'apply version 3', sql: 'SELECT 1;' };

/** From now on Date.now() runs `ms` behind the timers' clock, as it may by their rounding or a clock slew. */
function lagTheWallClock(ms: number) {
  const now = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => now() - ms);
}

/** The seconds each drawing of `label` showed, in order. */
function shown(screen: string, label: string): number[] {
  return [...screen.matchAll(new RegExp(`\\r\\u001b\\[2K${label}  (\\d+) s`, 'g'))].map((match) => Number(match[1]));
}

describe('the live line', () => {
  let dir: string;
  let fd: number;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'migrator-live-'));
    fd = openSync(path.join(dir, 'screen'), 'w+');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  const screen = () => readFileSync(path.join(dir, 'screen'), 'utf8');

  test('a timer that fires just before the whole second: each second is still drawn once, in order, none repeated', async () => {
    const progress = liveProgress(fd);
    const logged: string[] = [];
    const onEvent = progress.onEvent((event) => logged.push(event.type));

    onEvent({ type: 'applying', step, index: 5, total: 5 });
    lagTheWallClock(5);
    await sleep(2_200);
    onEvent({ type: 'applied', step, index: 5, total: 5, durationMs: 2_200 });

    const seconds = shown(screen(), 'applying 5/5 versioned/3_slow.sql');
    expect(seconds[0]).toBe(0);
    expect(seconds.length).toBeGreaterThanOrEqual(2);
    expect(seconds).toEqual([...new Set(seconds)].sort((a, b) => a - b));
    expect(screen().endsWith('\r\u001b[2K')).toBe(true);
    expect(logged).toEqual(['applied']);
  });

  test("a command's own status line keeps counting from when it was first shown", async () => {
    const progress = liveProgress(fd);

    progress.status('targets 1/3');
    await sleep(1_100);
    progress.status('targets 2/3');
    progress.status(undefined);

    expect(shown(screen(), 'targets 1/3')[0]).toBe(0);
    expect(shown(screen(), 'targets 2/3')).toEqual([1]);
  });
});
