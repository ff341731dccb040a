/**
 * Deltas between two ProfileViews, so a live panel posts only what changed (usually the tails of
 * a few decimated series and the header totals) instead of the whole view 4 times a second.
 *
 * `applyProfileViewDelta(a, diffProfileViews(a, b))` deep-equals `b`. Pure; shared by the host
 * (diff) and the webview (apply).
 */
import type { Channel } from "../../protocol/events";
import type {
  ColumnPatch, CopyTimelineView, MemoryDelta, MemorySeriesPatch, MemorySeriesView, MemorySumView, MemoryView,
  ProfileView, ProfileViewDelta, SeriesColumn, TimelinePatch,
} from "../../protocol/webview";

const SERIES_COLUMNS: readonly SeriesColumn[] = ["t", "rss", "pss", "uss", "privateDirty"];

/** Structural equality for JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** `prefix[0, from)` followed by `tail`, in one new array (a live panel does this 320 times a delta). */
function spliced<T>(prefix: readonly T[], from: number, tail: readonly T[]): T[] {
  const out = prefix.slice(0, from);
  for (let i = 0; i < tail.length; i++) out.push(tail[i] as T);
  return out;
}

function commonPrefix(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Patch of columns sharing an index space, or null when nothing changed. */
export function diffColumns<C extends string>(
  prev: Readonly<Record<C, readonly (number | null)[]>>,
  next: Readonly<Record<C, readonly (number | null)[]>>,
  columns: readonly C[],
): ColumnPatch<C> | null {
  let from = Infinity;
  let changed = false;
  for (const c of columns) {
    const p = prev[c];
    const q = next[c];
    const k = commonPrefix(p, q);
    if (k !== p.length || k !== q.length) changed = true;
    from = Math.min(from, k);
  }
  if (!changed) return null;
  const cols = {} as Record<C, (number | null)[]>;
  for (const c of columns) cols[c] = next[c].slice(from);
  return { from, cols };
}

export function applyColumns<C extends string, T extends Record<C, readonly (number | null)[]>>(
  prev: T,
  patch: ColumnPatch<C>,
  columns: readonly C[],
): T {
  const out = { ...prev };
  for (const c of columns) {
    const tail = patch.cols[c] ?? [];
    (out as unknown as Record<C, (number | null)[]>)[c] = spliced(prev[c], patch.from, tail);
  }
  return out;
}

function sameIdentity(a: MemorySeriesView, b: MemorySeriesView): boolean {
  return a.pid === b.pid && a.tid === b.tid && a.role === b.role && a.name === b.name && a.label === b.label;
}

function diffMemory(prev: MemoryView, next: MemoryView): MemoryDelta | null {
  const before = new Map(prev.series.map((s) => [s.key, s]));
  const upsert: MemorySeriesView[] = [];
  const patch: MemorySeriesPatch[] = [];
  for (const s of next.series) {
    const p = before.get(s.key);
    if (!p || !sameIdentity(p, s)) { upsert.push(s); continue; }
    const cp = diffColumns<SeriesColumn>(p, s, SERIES_COLUMNS);
    if (cp || p.samples !== s.samples) {
      patch.push({ key: s.key, samples: s.samples, patch: cp ?? { from: s.t.length, cols: emptyCols() } });
    }
  }
  const order = next.series.map((s) => s.key);
  const orderChanged = !deepEqual(order, prev.series.map((s) => s.key));
  const delta: MemoryDelta = { order, upsert, patch };
  let changed = orderChanged || upsert.length > 0 || patch.length > 0;
  if (prev.maxPointsPerSeries !== next.maxPointsPerSeries) { delta.maxPointsPerSeries = next.maxPointsPerSeries; changed = true; }
  if (!prev.sum || !next.sum || prev.sum.stepMs !== next.sum.stepMs) {
    if (!deepEqual(prev.sum, next.sum)) { delta.sum = next.sum; changed = true; }
  } else {
    const sp = diffColumns<SeriesColumn>(prev.sum, next.sum, SERIES_COLUMNS);
    if (sp) { delta.sumPatch = sp; changed = true; }
  }
  return changed ? delta : null;
}

function emptyCols(): Record<SeriesColumn, (number | null)[]> {
  return { t: [], rss: [], pss: [], uss: [], privateDirty: [] };
}

function applyMemory(prev: MemoryView, d: MemoryDelta): MemoryView {
  const byKey = new Map(prev.series.map((s) => [s.key, s]));
  for (const s of d.upsert) byKey.set(s.key, s);
  for (const p of d.patch) {
    const s = byKey.get(p.key);
    if (!s) throw new Error(`delta patches unknown series ${p.key}`);
    byKey.set(p.key, { ...applyColumns<SeriesColumn, MemorySeriesView>(s, p.patch, SERIES_COLUMNS), samples: p.samples });
  }
  const series = d.order.map((k) => {
    const s = byKey.get(k);
    if (!s) throw new Error(`delta orders unknown series ${k}`);
    return s;
  });
  let sum: MemorySumView | null = prev.sum;
  if (d.sum !== undefined) sum = d.sum;
  else if (d.sumPatch) {
    if (!sum) throw new Error("delta patches a missing sum");
    sum = applyColumns<SeriesColumn, MemorySumView>(sum, d.sumPatch, SERIES_COLUMNS);
  }
  return { maxPointsPerSeries: d.maxPointsPerSeries ?? prev.maxPointsPerSeries, series, sum };
}

function diffTimeline(prev: CopyTimelineView, next: CopyTimelineView): Pick<ProfileViewDelta, "timeline" | "timelinePatch"> {
  const prevCh = prev.channels.map((c) => c.channel);
  const nextCh = next.channels.map((c) => c.channel);
  if (prev.bucketMs !== next.bucketMs || !deepEqual(prevCh, nextCh)) {
    return deepEqual(prev, next) ? {} : { timeline: next };
  }
  const cols = ["t", ...nextCh] as string[];
  const asCols = (v: CopyTimelineView) => {
    const r: Record<string, number[]> = { t: v.t };
    for (const c of v.channels) r[c.channel] = c.bytes;
    return r;
  };
  const cp = diffColumns<string>(asCols(prev), asCols(next), cols);
  if (!cp) return {};
  const bytes: Partial<Record<Channel, number[]>> = {};
  const totals: Partial<Record<Channel, number>> = {};
  for (const c of next.channels) {
    bytes[c.channel] = cp.cols[c.channel] as number[];
    totals[c.channel] = c.total;
  }
  return { timelinePatch: { from: cp.from, t: cp.cols.t as number[], bytes, totals } };
}

function applyTimeline(prev: CopyTimelineView, p: TimelinePatch): CopyTimelineView {
  return {
    bucketMs: prev.bucketMs,
    t: spliced(prev.t, p.from, p.t),
    channels: prev.channels.map((c) => ({
      channel: c.channel,
      bytes: spliced(c.bytes, p.from, p.bytes[c.channel] ?? []),
      total: p.totals[c.channel] ?? c.total,
    })),
  };
}

/** What changed from `prev` to `next`, or null when nothing did. */
export function diffProfileViews(prev: ProfileView, next: ProfileView): ProfileViewDelta | null {
  const d: ProfileViewDelta = { kind: "profile" };
  let changed = false;
  if (!deepEqual(prev.meta, next.meta)) { d.meta = next.meta; changed = true; }
  if (!deepEqual(prev.totals, next.totals)) { d.totals = next.totals; changed = true; }
  const mem = diffMemory(prev.memory, next.memory);
  if (mem) { d.memory = mem; changed = true; }
  const tl = diffTimeline(prev.copies.timeline, next.copies.timeline);
  if (tl.timeline || tl.timelinePatch) { Object.assign(d, tl); changed = true; }
  if (prev.copies.sitesTotal !== next.copies.sitesTotal || !deepEqual(prev.copies.sites, next.copies.sites)) {
    d.sites = { sites: next.copies.sites, sitesTotal: next.copies.sitesTotal };
    changed = true;
  }
  if (!deepEqual(prev.copies.byChannel, next.copies.byChannel)) { d.byChannel = next.copies.byChannel; changed = true; }
  if (!deepEqual(prev.processes, next.processes)) { d.processes = next.processes; changed = true; }
  if (!deepEqual(prev.sharedMemory, next.sharedMemory)) { d.sharedMemory = next.sharedMemory; changed = true; }
  if (!deepEqual(prev.findings, next.findings)) { d.findings = next.findings; changed = true; }
  return changed ? d : null;
}

/** `prev` with `delta` applied (prev is not modified; unchanged sections are shared). */
export function applyProfileViewDelta(prev: ProfileView, delta: ProfileViewDelta): ProfileView {
  let timeline = prev.copies.timeline;
  if (delta.timeline) timeline = delta.timeline;
  else if (delta.timelinePatch) timeline = applyTimeline(timeline, delta.timelinePatch);
  return {
    kind: "profile",
    meta: delta.meta ?? prev.meta,
    totals: delta.totals ?? prev.totals,
    memory: delta.memory ? applyMemory(prev.memory, delta.memory) : prev.memory,
    copies: {
      timeline,
      sites: delta.sites ? delta.sites.sites : prev.copies.sites,
      sitesTotal: delta.sites ? delta.sites.sitesTotal : prev.copies.sitesTotal,
      byChannel: delta.byChannel ?? prev.copies.byChannel,
    },
    processes: delta.processes ?? prev.processes,
    sharedMemory: delta.sharedMemory ?? prev.sharedMemory,
    findings: delta.findings ?? prev.findings,
  };
}

/** Names of the sections a delta touches (the webview re-renders only those). */
export function deltaSections(delta: ProfileViewDelta): Set<string> {
  const s = new Set<string>();
  if (delta.meta) s.add("meta");
  if (delta.totals) s.add("totals");
  if (delta.memory) s.add("memory");
  if (delta.timeline || delta.timelinePatch) s.add("timeline");
  if (delta.sites) s.add("sites");
  if (delta.byChannel) s.add("byChannel");
  if (delta.processes) s.add("processes");
  if (delta.sharedMemory) s.add("sharedMemory");
  if (delta.findings) s.add("findings");
  return s;
}
