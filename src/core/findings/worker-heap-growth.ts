/**
 * worker-heap-growth (Node): a worker thread's (or child process's) V8 heap keeps growing.
 *
 * heapUsed counts garbage not yet collected, so single samples jump up and down; the floor does
 * not. The rule compares floors: the lowest heapUsed in the first third of the worker's sampled
 * life against the lowest in the last third, and asks that part of the growth happened in the
 * last third (still growing, not a start-up ramp that levelled off).
 *
 * The first sample is discounted: a worker's first sample is taken after Node deserialized its
 * workerData and before the script ran (docs/node.md), so it is either a high start (workerData)
 * or a bare-runtime low that any start-up work would look like growth against. The main thread
 * is left out: collecting results there is the point of most programs.
 */
import type { HeapSample, Finding, ProcessInfo, Profile } from "../../protocol/profile";
import { formatDuration } from "../format";
import type { FindingRule } from "./types";
import { bytes, count, GiB, isNodeProfile, MiB, severityBySize } from "./util";

export const WORKER_HEAP_GROWTH = {
  /** Floor-to-floor growth of heapUsed: a worker starting up allocates a few MiB anyway. */
  minGrowthBytes: 32 * MiB,
  /** …and relative to where it started (a big steady heap drifts by more than 32 MiB now and then). */
  minGrowthFraction: 0.5,
  /** Samples needed after the discounted first one. */
  minSamples: 4,
  /** Share of the growth that must come between the middle and the last third ("keeps growing"). */
  minLateShare: 0.25,
  errorAtBytes: 1 * GiB,
};

export interface HeapGrowth {
  /** Lowest heapUsed in the first, middle (null: no sample there) and last third. */
  early: number;
  middle: number | null;
  late: number;
  peak: number;
  growth: number;
  samples: number;
  durationMs: number;
  /** Same floors for `external` (ArrayBuffer memory), when reported. */
  externalGrowth: number | null;
}

/** The floors of one heap series, or null when there are too few samples to tell. */
export function heapGrowth(heap: readonly HeapSample[]): HeapGrowth | null {
  const s = heap
    .filter((h): h is HeapSample & { heapUsed: number } => typeof h.heapUsed === "number")
    .sort((a, b) => a.t - b.t)
    .slice(1);
  if (s.length < WORKER_HEAP_GROWTH.minSamples) return null;
  const t0 = (s[0] as HeapSample).t;
  const t1 = (s[s.length - 1] as HeapSample).t;
  const span = t1 - t0;
  if (span <= 0) return null;
  // Thirds of the sampled time, not of the samples: the harness samples often while the heap moves, rarely while it is flat.
  const a = t0 + span / 3;
  const b = t1 - span / 3;
  const floor = (pick: (h: HeapSample) => number | undefined, lo: number, hi: number): number | null => {
    let m: number | null = null;
    for (const h of s) {
      const v = pick(h);
      if (h.t >= lo && h.t <= hi && typeof v === "number" && (m === null || v < m)) m = v;
    }
    return m;
  };
  const used = (h: HeapSample) => h.heapUsed;
  const early = floor(used, t0, a) as number; // s[0] is in it
  const late = floor(used, b, t1) as number; // so is the last sample
  const middle = floor(used, a + 1e-9, b - 1e-9);
  const ext = (h: HeapSample) => h.external;
  const e0 = floor(ext, t0, a);
  const e1 = floor(ext, b, t1);
  return {
    early,
    middle,
    late,
    peak: Math.max(...s.map((h) => h.heapUsed)),
    growth: late - early,
    samples: s.length,
    durationMs: span,
    externalGrowth: e0 !== null && e1 !== null ? e1 - e0 : null,
  };
}

export const workerHeapGrowth: FindingRule = {
  id: "worker-heap-growth",
  description: "A worker thread's V8 heap keeps growing over the run (data kept per message).",
  check(profile: Profile): Finding[] {
    if (!isNodeProfile(profile)) return [];
    const out: Finding[] = [];
    for (const p of profile.processes) {
      if (p.role === "main") continue;
      const g = heapGrowth(p.heap);
      if (!g) continue;
      const C = WORKER_HEAP_GROWTH;
      if (g.growth < C.minGrowthBytes || g.late < g.early * (1 + C.minGrowthFraction)) continue;
      if (g.middle !== null && g.late - g.middle < C.minLateShare * g.growth) continue;
      const pct = Math.round((g.growth / Math.max(1, g.early)) * 100);
      const ext =
        g.externalGrowth !== null && g.externalGrowth >= C.minGrowthBytes
          ? ` Its external (ArrayBuffer) memory grew by ${bytes(g.externalGrowth)} too.`
          : "";
      out.push({
        rule: workerHeapGrowth.id,
        severity: severityBySize(g.growth, C.errorAtBytes),
        message:
          `${who(p)} kept growing its V8 heap: heapUsed rose from ${bytes(g.early)} to ${bytes(g.late)} ` +
          `(+${bytes(g.growth)}, +${count(pct)} %; lowest values in the first and last third of ${formatDuration(g.durationMs)}, ` +
          `peak ${bytes(g.peak)}), and was still growing at the end.${ext}`,
        site: null,
        fix:
          "Look for data kept per message: a cache or Map that never evicts, an array that is only appended to, results held " +
          "until the end, listeners added per message. To see what holds the memory, compare two heap snapshots of that thread " +
          "(`worker.getHeapSnapshot()` from its creator, `v8.writeHeapSnapshot()` inside it), or run with " +
          "`node --heapsnapshot-near-heap-limit=2` to have them written as it nears its limit.",
        data: {
          bytes: g.growth,
          pid: p.pid,
          ...(p.tid !== undefined ? { tid: p.tid } : {}),
          name: p.name ?? "",
          startBytes: g.early,
          endBytes: g.late,
          peakBytes: g.peak,
          growthPercent: pct,
          samples: g.samples,
          durationMs: Math.round(g.durationMs),
        },
      });
    }
    return out;
  },
};

function who(p: ProcessInfo): string {
  const name = p.name ? ` "${p.name}"` : "";
  return p.tid !== undefined ? `Worker thread${name} (thread ${p.tid} of pid ${p.pid})` : `Child process${name} (pid ${p.pid})`;
}
