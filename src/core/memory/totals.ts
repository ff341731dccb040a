/**
 * Run-wide memory totals from per-process series.
 *
 * Σ PSS over the processes alive at one moment is the honest "memory this job used": every shared
 * page is divided among the processes mapping it, so fork-inherited pages and shared-memory
 * segments are counted once. Σ RSS counts them once per process (what `top` and most tools add up).
 */
import type { MemorySample, ProcessInfo, SharedMemoryBlock, Totals } from "../../protocol/profile";
import { cowCopiedBytes } from "./cow";

export type MemoryTotals = Pick<Totals, "peakPssSum" | "peakRssSum" | "sharedMemoryBytes" | "maxCowBrokenBytes">;

export interface TotalsOptions {
  /** Peaks tracked live by the sampler (MemorySampler.peakSums()); they see every tick, even decimated ones. */
  livePeaks?: { pss: number | null; rss: number | null };
}

export interface SumPoint {
  t: number;
  pss: number | null;
  rss: number;
  /** Σ Pss_Shmem: shared-memory segments, counted once. */
  pssShmem: number | null;
  processes: number;
}

/**
 * Σ over processes at each distinct sample time. A process counts from its first sample to its
 * last one or its end, whichever is earlier; between its own samples its latest one is carried
 * forward (so a tick at which one process was skipped, e.g. a transient read error, does not dip
 * the sum). The end matters: a quiet process's figures are carried for a few ticks without a read,
 * so its series can run on past its exit, while the processes it shared pages with already show
 * those pages in their own PSS. Where a process has no PSS (before its first smaps_rollup read, or
 * never), its RSS stands in, and `pss` is null only when no process had PSS at that time.
 */
export function sumSeries(processes: readonly (Pick<ProcessInfo, "samples"> & { endedAt?: number | null })[]): SumPoint[] {
  interface Cursor { samples: MemorySample[]; i: number; first: number; last: number }
  const cursors: Cursor[] = [];
  const times = new Set<number>();
  for (const p of processes) {
    if (p.samples.length === 0) continue;
    const samples = isSorted(p.samples) ? p.samples : [...p.samples].sort((a, b) => a.t - b.t);
    const end = p.endedAt ?? Infinity;
    const first = (samples[0] as MemorySample).t;
    cursors.push({ samples, i: -1, first, last: Math.max(first, Math.min(end, (samples[samples.length - 1] as MemorySample).t)) });
    for (const s of samples) if (s.t <= end) times.add(s.t);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const out: SumPoint[] = [];
  for (const t of sorted) {
    let pss = 0;
    let rss = 0;
    let shm = 0;
    let anyPss = false;
    let anyShm = false;
    let n = 0;
    for (const c of cursors) {
      if (t < c.first || t > c.last) continue;
      while (c.i + 1 < c.samples.length && (c.samples[c.i + 1] as MemorySample).t <= t) c.i++;
      const s = c.samples[c.i];
      if (!s) continue;
      n++;
      rss += s.rss;
      if (s.pss !== null) {
        pss += s.pss;
        anyPss = true;
      } else pss += s.rss;
      if (s.pssShmem !== null && s.pssShmem !== undefined) {
        shm += s.pssShmem;
        anyShm = true;
      }
    }
    if (n > 0) out.push({ t, pss: anyPss ? pss : null, rss, pssShmem: anyShm ? shm : null, processes: n });
  }
  return out;
}

/** peakPssSum, peakRssSum, sharedMemoryBytes (each block once) and the worst child's COW breakage. */
export function computeMemoryTotals(
  processes: readonly ProcessInfo[],
  sharedMemory: readonly SharedMemoryBlock[],
  options: TotalsOptions = {},
): MemoryTotals {
  let peakPss: number | null = null;
  let peakRss: number | null = null;
  for (const pt of sumSeries(processes)) {
    if (peakRss === null || pt.rss > peakRss) peakRss = pt.rss;
    if (pt.pss !== null && (peakPss === null || pt.pss > peakPss)) peakPss = pt.pss;
  }
  const live = options.livePeaks;
  if (live) {
    if (live.rss !== null && (peakRss === null || live.rss > peakRss)) peakRss = live.rss;
    if (live.pss !== null && (peakPss === null || live.pss > peakPss)) peakPss = live.pss;
  }
  let maxCow: number | null = null;
  for (const p of processes) {
    const c = cowCopiedBytes(p);
    if (c !== null && (maxCow === null || c > maxCow)) maxCow = c;
  }
  return { peakPssSum: peakPss, peakRssSum: peakRss, sharedMemoryBytes: sharedMemoryBytes(sharedMemory), maxCowBrokenBytes: maxCow };
}

/** Σ bytes of distinct shared-memory blocks (by kind and name), however many processes attached. */
export function sharedMemoryBytes(blocks: readonly SharedMemoryBlock[]): number {
  const seen = new Map<string, number>();
  for (const b of blocks) {
    const key = `${b.kind}\u0000${b.name}`;
    seen.set(key, Math.max(seen.get(key) ?? 0, b.bytes));
  }
  let sum = 0;
  for (const v of seen.values()) sum += v;
  return sum;
}

function isSorted(samples: readonly MemorySample[]): boolean {
  for (let i = 1; i < samples.length; i++) if ((samples[i] as MemorySample).t < (samples[i - 1] as MemorySample).t) return false;
  return true;
}
