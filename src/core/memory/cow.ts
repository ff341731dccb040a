/**
 * Copy-on-write breakage of fork children.
 *
 * Right after fork() a child shares every anonymous page with its parent: the pages are counted
 * as Shared_Dirty in both. A page becomes private again (Private_Dirty) as soon as either side
 * writes it. In CPython "writing" includes merely *reading* an object (its refcount changes) and a
 * full garbage collection walking it (gc bookkeeping in the object header), so a child that only
 * iterates a big inherited list of ints ends up with its own copy of most of it.
 *
 * For each fork/forkserver child we estimate, from its samples and its parent's:
 *   inheritedSize = anonymous memory it shared with its parent right after fork
 *                 ≈ min(child's first RssAnon, parent's RssAnon around the fork)
 *   own(t)        = max(0, child.RssAnon(t) − inheritedSize)          (its own allocations)
 *   broken(t)     = child.Private_Dirty(t)                              (cowBrokenBytes over time)
 *   inherited(t)  = clamp(broken(t) − own(t), 0, inheritedSize)        (copies of parent pages)
 * Only samples taken while the parent was alive count: when a parent exits, the pages it shared
 * become private to the child without any copy.
 */
import type { HeapSample, MemorySample, ProcessInfo } from "../../protocol/profile";

export interface CowPoint {
  /** Sample time (same clock as the samples). */
  t: number;
  /** Private_Dirty: COW-broken pages plus the child's own allocations. */
  broken: number;
  /** Estimated part of `broken` that is copies of pages inherited from the parent. */
  inherited: number;
  /** Estimated own allocations since fork. */
  own: number;
}

export type CowCause = "gc" | "refcount" | "unknown";

export interface GcAttribution {
  /**
   * gc: most of the inherited-page copying happened while the child ran full (generation 2)
   * collections, so gc.freeze() in the parent before forking should prevent it.
   * refcount: it happened without full collections in the child: refcount writes (or the parent
   * writing its pages); gc.freeze() cannot help.
   * unknown: no heap samples with gc collection counts for this child.
   */
  cause: CowCause;
  /** Full collections the child ran during its sampled life; null without heap data. */
  fullCollections: number | null;
  /** Growth of `inherited` over the child's life, and the part of it in intervals with a full collection. */
  growth: number;
  growthDuringGc: number;
}

export interface CowAnalysis {
  pid: number;
  parentPid: number;
  startMethod: "fork" | "forkserver";
  /** Anonymous memory shared with the parent right after fork (estimate). */
  inheritedSize: number | null;
  series: CowPoint[];
  /** Max Private_Dirty while the parent was alive. */
  brokenBytes: number | null;
  /** Max estimated inherited copies while the parent was alive. */
  inheritedBytes: number | null;
  /** inheritedBytes / inheritedSize. */
  inheritedFraction: number | null;
  gc: GcAttribution;
}

export function isForkChild(p: Pick<ProcessInfo, "startMethod">): p is Pick<ProcessInfo, "startMethod"> & { startMethod: "fork" | "forkserver" } {
  return p.startMethod === "fork" || p.startMethod === "forkserver";
}

/** The process that was `pid` at time t (pids can be reused within one run). */
export function findProcessAt(processes: readonly ProcessInfo[], pid: number, t: number): ProcessInfo | undefined {
  let best: ProcessInfo | undefined;
  for (const p of processes) {
    if (p.pid !== pid || p.tid !== undefined) continue;
    if (p.startedAt <= t && (p.endedAt === null || p.endedAt >= t)) return p;
    if (!best || Math.abs(p.startedAt - t) < Math.abs(best.startedAt - t)) best = p;
  }
  return best;
}

/** COW analysis of one fork child. Null when the child is not a fork child or has no private-dirty data. */
export function analyzeCow(child: ProcessInfo, parent: ProcessInfo | undefined): CowAnalysis | null {
  if (!isForkChild(child) || !parent) return null;
  const samples = child.samples.filter((s) => s.privateDirty !== null);
  const first = child.samples[0];
  if (samples.length === 0 || !first) return null;

  const parentEnd = endOf(parent);
  const live = samples.filter((s) => s.t <= parentEnd);
  const inheritedSize = estimateInheritedSize(child, parent);

  const series: CowPoint[] = [];
  let broken: number | null = null;
  let inherited: number | null = null;
  for (const s of live) {
    const pd = s.privateDirty as number;
    const own = inheritedSize !== null && s.anon !== null && s.anon !== undefined ? Math.max(0, s.anon - inheritedSize) : 0;
    const inh = inheritedSize !== null ? clamp(pd - own, 0, inheritedSize) : 0;
    series.push({ t: s.t, broken: pd, inherited: inh, own });
    if (broken === null || pd > broken) broken = pd;
    if (inheritedSize !== null && (inherited === null || inh > inherited)) inherited = inh;
  }
  return {
    pid: child.pid,
    parentPid: parent.pid,
    startMethod: child.startMethod,
    inheritedSize,
    series,
    brokenBytes: broken,
    inheritedBytes: inherited,
    inheritedFraction: inherited !== null && inheritedSize ? inherited / inheritedSize : null,
    gc: attributeGc(child, parent, series),
  };
}

/** Analyses of every fork child whose parent is among `processes`. */
export function cowAnalyses(processes: readonly ProcessInfo[]): CowAnalysis[] {
  const out: CowAnalysis[] = [];
  for (const p of processes) {
    if (!isForkChild(p)) continue;
    const a = analyzeCow(p, findProcessAt(processes, p.ppid, p.startedAt));
    if (a) out.push(a);
  }
  return out;
}

/**
 * The copy-on-write figure to show for a process: inherited pages it copied. Private_Dirty alone
 * (cowBrokenBytes) also counts the child's own allocations, say a payload it received, which are
 * not COW; it stands in only where no inherited estimate exists. null: not a fork child.
 */
export function cowCopiedBytes(p: { cowBrokenBytes?: number | null; cowInheritedBytes?: number | null }): number | null {
  return p.cowInheritedBytes ?? p.cowBrokenBytes ?? null;
}

/** Fill cowBrokenBytes / cowInheritedBytes of every fork child (in place). Returns the same array. */
export function applyCow<T extends ProcessInfo[]>(processes: T): T {
  for (const p of processes) {
    if (!isForkChild(p)) continue;
    const a = analyzeCow(p, findProcessAt(processes, p.ppid, p.startedAt));
    p.cowBrokenBytes = a?.brokenBytes ?? null;
    p.cowInheritedBytes = a?.inheritedBytes ?? null;
  }
  return processes;
}

function estimateInheritedSize(child: ProcessInfo, parent: ProcessInfo): number | null {
  const childFirst = child.samples.find((s) => anonOf(s) !== null);
  const childAnon = childFirst ? anonOf(childFirst) : null;
  // parent around the fork: its first sample at/after the child started, else its last before
  let near: MemorySample | undefined;
  for (const s of parent.samples) {
    if (anonOf(s) === null) continue;
    if (s.t >= child.startedAt) {
      near = s;
      break;
    }
    near = s;
  }
  const parentAnon = near ? anonOf(near) : null;
  if (childAnon !== null && parentAnon !== null) return Math.min(childAnon, parentAnon);
  return childAnon ?? parentAnon;
}

/** Anonymous resident memory: RssAnon, else private + shared dirty (both anonymous in practice). */
function anonOf(s: MemorySample): number | null {
  if (s.anon !== null && s.anon !== undefined) return s.anon;
  if (s.privateDirty !== null && s.sharedDirty !== null) return s.privateDirty + s.sharedDirty;
  return null;
}

function endOf(p: ProcessInfo): number {
  const last = p.samples[p.samples.length - 1];
  if (p.endedAt !== null) return Math.max(p.endedAt, last?.t ?? -Infinity);
  return last ? last.t : Infinity;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

interface GcPoint { t: number; full: number }

/**
 * Did the child's inherited-page copying coincide with full collections in the child? The gc
 * counters a fork child starts with are its parent's (inherited with the interpreter state), so
 * the parent's last heap sample before the fork is the baseline when the child has none early.
 */
export function attributeGc(child: ProcessInfo, parent: ProcessInfo | undefined, series: readonly CowPoint[]): GcAttribution {
  const growth = series.length > 0 ? Math.max(0, Math.max(...series.map((p) => p.inherited)) - (series[0] as CowPoint).inherited) : 0;
  const byTime = new Map<number, number>();
  // The child's count at fork is its parent's at fork. Without a parent sample from before the
  // fork, the parent's first later one is an upper bound of it: collections counted from there
  // are a lower bound, so "some ran" stays certain.
  const base = parent ? (lastBefore(parent.heap, child.startedAt) ?? firstAfter(parent.heap, child.startedAt)) : undefined;
  if (base?.collections) byTime.set(child.startedAt, base.collections[2]);
  for (const h of child.heap) if (h.collections) byTime.set(h.t, h.collections[2]);
  const points: GcPoint[] = [...byTime].map(([t, full]) => ({ t, full })).sort((a, b) => a.t - b.t);
  if (points.length < 2) return { cause: "unknown", fullCollections: null, growth, growthDuringGc: 0 };

  const fullCollections = Math.max(0, (points[points.length - 1] as GcPoint).full - (points[0] as GcPoint).full);
  let during = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as GcPoint;
    const b = points[i] as GcPoint;
    if (b.full <= a.full) continue;
    // growth between the last sample before the interval and the last one inside it
    during += Math.max(0, inheritedAt(series, b.t) - inheritedAt(series, a.t));
  }
  during = Math.min(during, growth);
  const cause: CowCause = fullCollections > 0 && growth > 0 && during >= 0.5 * growth ? "gc" : "refcount";
  return { cause, fullCollections, growth, growthDuringGc: during };
}

function firstAfter(heap: readonly HeapSample[], t: number): HeapSample | undefined {
  let best: HeapSample | undefined;
  for (const h of heap) if (h.t > t && h.collections && (!best || h.t < best.t)) best = h;
  return best;
}

function lastBefore(heap: readonly HeapSample[], t: number): HeapSample | undefined {
  let best: HeapSample | undefined;
  for (const h of heap) if (h.t <= t && h.collections && (!best || h.t >= best.t)) best = h;
  return best;
}

/** `inherited` at the latest point ≤ t (0 before the first point: nothing is copied at fork). */
function inheritedAt(series: readonly CowPoint[], t: number): number {
  let v = 0;
  for (const p of series) {
    if (p.t > t) break;
    v = p.inherited;
  }
  return v;
}
