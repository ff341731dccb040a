/**
 * Milliseconds on a monotonic clock, for intervals only. Not performance.now(): the first use of
 * that global loads node:perf_hooks, 4 ms of the CLI's start-up on a 2-core VM.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
