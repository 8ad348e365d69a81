/** The order targets run in: parallelism, canaries, the failure budget and a stop (no database needed). */
import { runPool } from '../../src/fleet/pool';

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs targets 0..count-1; those in `failing` fail; records the most running at once. */
async function run(
  count: number,
  options: { parallel: number; canary?: number; maxFailures?: number; signal?: AbortSignal },
  failing: number[] = [],
) {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const outcome = await runPool(
    Array.from({ length: count }, (_, index) => index),
    { canary: 0, maxFailures: 0, ...options },
    async (target) => {
      started.push(target);
      most = Math.max(most, ++running);
      await tick();
      running--;
      return { target, failed: failing.includes(target) };
    },
    (result) => result.failed,
  );
  return { ...outcome, started, most };
}

describe('runPool', () => {
  test('runs every target once, at most `parallel` at a time, in order', async () => {
    const { results, started, most, stopped } = await run(20, { parallel: 4 });
    expect(started).toEqual([...Array(20).keys()]);
    expect(results.map((result) => result?.target)).toEqual([...Array(20).keys()]);
    expect(most).toBe(4);
    expect(stopped).toBeUndefined();
  });

  test('canaries run alone first; a failing canary starts no other target', async () => {
    const failed = await run(20, { parallel: 4, canary: 3 }, [1]);
    expect(failed.started.sort((a, b) => a - b)).toEqual([0, 1, 2]);
    expect(failed.stopped).toBe('canary');
    expect(failed.results.filter((result) => result === undefined)).toHaveLength(17);

    const passed = await run(20, { parallel: 4, canary: 3 });
    expect(passed.started).toHaveLength(20);
    // The canaries finished before any other target started.
    expect(passed.started.slice(0, 3).sort((a, b) => a - b)).toEqual([0, 1, 2]);
  });

  test('after more than maxFailures failures no new target starts; the running ones finish', async () => {
    const stopped = await run(40, { parallel: 2, maxFailures: 1 }, [3, 5, 30]);
    expect(stopped.stopped).toBe('max-failures');
    expect(stopped.started).not.toContain(30);
    expect(stopped.started.length).toBeLessThanOrEqual(8);
    // Whatever started has its result: none is lost.
    expect(stopped.results.filter((result) => result !== undefined)).toHaveLength(stopped.started.length);

    const tolerated = await run(40, { parallel: 2, maxFailures: 3 }, [3, 5, 30]);
    expect(tolerated.stopped).toBeUndefined();
    expect(tolerated.started).toHaveLength(40);
  });

  test('an aborted signal starts no new target', async () => {
    const controller = new AbortController();
    let started = 0;
    const outcome = await runPool(
      [...Array(50).keys()],
      { parallel: 3, canary: 0, maxFailures: 0, signal: controller.signal },
      async () => {
        if (++started === 5) controller.abort('SIGTERM');
        await tick();
        return false;
      },
      (failed) => failed,
    );
    expect(outcome.stopped).toBe('interrupted');
    expect(started).toBeLessThanOrEqual(7);
    expect(outcome.results.filter((result) => result !== undefined)).toHaveLength(started);
  });
});
