/**
 * The order in which a fleet's targets run: `parallel` at a time, in the targets' order; the first
 * `canary` targets alone first, and a failure among them starts no other; after more than
 * `maxFailures` failures, and once the signal is aborted, no new target starts, and the running
 * ones finish (an abort rolls them back: they see the same signal).
 */
export interface PoolOptions {
  parallel: number;
  canary: number;
  maxFailures: number;
  signal?: AbortSignal;
}

export type StopReason = 'canary' | 'max-failures' | 'interrupted';

export interface PoolOutcome<R> {
  /** Per target, in the targets' order; undefined for one that never started. */
  results: Array<R | undefined>;
  stopped?: StopReason;
}

/**
 * `work` gets the target and the number of the worker running it (0 .. parallel - 1): a worker
 * runs one target at a time, so it may keep a connection from one target to the next.
 */
export async function runPool<T, R>(
  targets: T[],
  options: PoolOptions,
  work: (target: T, worker: number) => Promise<R>,
  failed: (result: R) => boolean,
): Promise<PoolOutcome<R>> {
  const results: Array<R | undefined> = new Array<R | undefined>(targets.length).fill(undefined);
  let failures = 0;
  let stopped: StopReason | undefined;
  const stage = async (from: number, to: number) => {
    let next = from;
    const worker = async (id: number) => {
      while (next < to && stopped === undefined) {
        if (options.signal?.aborted) {
          stopped = 'interrupted';
          return;
        }
        const index = next++;
        const result = await work(targets[index], id);
        results[index] = result;
        if (failed(result) && ++failures > options.maxFailures) stopped ??= 'max-failures';
      }
    };
    const workers = Math.max(1, Math.min(options.parallel, to - from));
    await Promise.all(Array.from({ length: workers }, (_, id) => worker(id)));
  };
  const canary = Math.min(options.canary, targets.length);
  if (canary > 0) {
    await stage(0, canary);
    // A failing canary stops the run whatever the failure budget says.
    if (failures > 0 && stopped !== 'interrupted') stopped = 'canary';
  }
  if (stopped === undefined) await stage(canary, targets.length);
  if (options.signal?.aborted) stopped = 'interrupted';
  return { results, stopped };
}
