/**
 * Milliseconds on a monotonic clock, for durations. process.hrtime rather than performance.now():
 * the first use of the `performance` global loads perf_hooks' internals, which every start would pay.
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
