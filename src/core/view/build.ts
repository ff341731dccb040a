/**
 * Profile (wmprof/1) → ready-to-plot view models. Pure: no I/O, no VS Code, no DOM.
 * Used by the panel (live, many times per run), the HTML report and the comparison report.
 */
import type { Channel, Direction } from "../../protocol/events";
import type { MemorySample, ProcessInfo, Profile, Site } from "../../protocol/profile";
import type {
  ComparisonRow, ComparisonView, CopiesView, CopyTimelineView, FindingRow, HeaderTotals, MemorySeriesView,
  MemorySumView, MemoryView, ProcessRow, ProfileMeta, ProfileView, SharedMemoryRow, SiteRef, SiteRow,
} from "../../protocol/webview";
import { extremes, lttb, mergeBuckets, type LttbState, type Points } from "./lttb";

/** Hard cap of points per plotted series. */
export const MAX_POINTS_PER_SERIES = 2000;
/** Rows of the top-call-sites table. */
export const SITE_ROWS_LIMIT = 50;

export interface BuildOptions {
  /** The run is still going (shown in the header; Stop button). */
  live?: boolean;
  /** Points per memory series, ≤ MAX_POINTS_PER_SERIES (default: chosen from the process count). */
  maxPointsPerSeries?: number;
  /** Reuse decimation work from the previous build of the same run (live updates). */
  cache?: ViewCache;
}

/**
 * Points per memory series for `n` processes: 2,000 up to 16 processes, then halved per doubling
 * (32 → 1,000, 64 → 500, 128 → 250, floor 125), so a chart holds at most ~64k points: Chart.js's
 * update cost is linear in points, and at 64 processes 1,000 points each already cost > 100 ms a
 * frame. Stepwise, so a pool that keeps spawning workers rarely re-decimates every series.
 */
export function pointsPerSeries(n: number): number {
  let points = MAX_POINTS_PER_SERIES;
  let cap = 16;
  while (n > cap && points > 125) { points /= 2; cap *= 2; }
  return points;
}

/** "pool_copy.py" for ["path/to/pool_copy.py", …], "pkg.mod" for ["-m", "pkg.mod", …]. */
export function scriptTitle(command: readonly string[]): string {
  if (command.length === 0) return "(unknown script)";
  if (command[0] === "-m" && command.length > 1) return command[1] as string;
  if (command[0] === "-c") return "-c";
  const first = command[0] as string;
  const parts = first.split(/[\\/]/);
  return parts[parts.length - 1] || first;
}

/** Stable keys per process: "<pid>", "<pid>:t<tid>", and "#2", "#3" for reused pids. */
export function processKeys(processes: readonly ProcessInfo[]): string[] {
  const seen = new Map<string, number>();
  return processes.map((p) => {
    const base = p.tid !== undefined && p.tid !== null ? `${p.pid}:t${p.tid}` : String(p.pid);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

function processLabel(p: ProcessInfo): string {
  const id = p.tid !== undefined && p.tid !== null ? `${p.pid}/t${p.tid}` : String(p.pid);
  return p.name ? `${p.role} ${id} (${p.name})` : `${p.role} ${id}`;
}

function siteRef(site: Site | null): SiteRef | null {
  return site ? { file: site.file, line: site.line, function: site.function } : null;
}

function peakOf(samples: readonly MemorySample[], field: "rss" | "pss" | "uss" | "privateDirty"): number | null {
  let best: number | null = null;
  for (const s of samples) {
    const v = s[field];
    if (v !== null && v !== undefined && (best === null || v > best)) best = v;
  }
  return best;
}

/**
 * Decimation state kept between builds of the same live run (ViewFeed holds one). With it, a
 * rebuild costs the samples added since the last build instead of the whole run. Entries are
 * validated against the samples (append-only) and dropped when they do not match.
 */
export class ViewCache {
  readonly series = new Map<string, SeriesState>();
  /** The run the state belongs to (another run clears it). */
  run: string | null = null;
}

interface SeriesState {
  n: number;
  maxPoints: number;
  firstT: number;
  lastT: number;
  lastRss: number;
  ext: number[];
  lttb: LttbState | null;
}

function samplePoints(s: readonly MemorySample[]): Points {
  return {
    n: s.length,
    columns: 4,
    x: (i) => (s[i] as MemorySample).t,
    y: (c, i) => {
      const q = s[i] as MemorySample;
      return c === 0 ? q.rss : c === 1 ? q.pss : c === 2 ? q.uss : q.privateDirty;
    },
  };
}

function buildSeries(p: ProcessInfo, key: string, maxPoints: number, cache: ViewCache | undefined): MemorySeriesView {
  const s = p.samples;
  const n = s.length;
  let indices: number[] | null = null;
  if (n > maxPoints) {
    const pts = samplePoints(s);
    let st = cache?.series.get(key);
    if (st && !(st.maxPoints === maxPoints && st.n <= n && (s[0] as MemorySample).t === st.firstT
      && (s[st.n - 1] as MemorySample).t === st.lastT && (s[st.n - 1] as MemorySample).rss === st.lastRss)) st = undefined;
    const ext = extremes(pts, st ? st.n : 0, st ? st.ext : null);
    const r = lttb(pts, maxPoints, ext, st?.lttb ?? null);
    indices = r.indices;
    cache?.series.set(key, {
      n, maxPoints, firstT: (s[0] as MemorySample).t, lastT: (s[n - 1] as MemorySample).t, lastRss: (s[n - 1] as MemorySample).rss, ext, lttb: r.state,
    });
  } else {
    cache?.series.delete(key);
  }
  const m = indices ? indices.length : n;
  const t = new Array<number>(m);
  const rss = new Array<number>(m);
  const pss = new Array<number | null>(m);
  const uss = new Array<number | null>(m);
  const pd = new Array<number | null>(m);
  for (let k = 0; k < m; k++) {
    const x = s[indices ? (indices[k] as number) : k] as MemorySample;
    t[k] = x.t;
    rss[k] = x.rss;
    pss[k] = x.pss ?? null;
    uss[k] = x.uss ?? null;
    pd[k] = x.privateDirty ?? null;
  }
  return {
    key,
    pid: p.pid,
    tid: p.tid ?? null,
    role: p.role,
    name: p.name,
    label: processLabel(p),
    samples: n,
    t,
    rss,
    pss,
    uss,
    privateDirty: pd,
  };
}

const GRID_STEPS_MS = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000];

/** Σ over processes on a fixed grid; each process holds its last sample until it ends. */
function buildSum(processes: readonly ProcessInfo[], maxPoints: number): MemorySumView | null {
  let last = -Infinity;
  for (const p of processes) {
    const s = p.samples;
    if (s.length > 0) last = Math.max(last, (s[s.length - 1] as MemorySample).t, p.endedAt ?? -Infinity);
  }
  if (!Number.isFinite(last)) return null;
  last = Math.max(0, last);
  let step = GRID_STEPS_MS[GRID_STEPS_MS.length - 1] as number;
  for (const c of GRID_STEPS_MS) {
    if (Math.floor(last / c) + 1 <= maxPoints) { step = c; break; }
  }
  while (Math.floor(last / step) + 1 > maxPoints) step *= 2;
  const count = Math.floor(last / step) + 1;
  const t = new Array<number>(count);
  const rss = new Array<number>(count).fill(0);
  const pss = new Array<number | null>(count).fill(null);
  const uss = new Array<number | null>(count).fill(null);
  const pd = new Array<number | null>(count).fill(null);
  for (let g = 0; g < count; g++) t[g] = g * step;
  const add = (col: (number | null)[], g: number, v: number | null | undefined) => {
    if (v === null || v === undefined) return;
    col[g] = (col[g] ?? 0) + v;
  };
  for (const p of processes) {
    const s = p.samples;
    if (s.length === 0) continue;
    const first = (s[0] as MemorySample).t;
    const end = p.endedAt ?? (s[s.length - 1] as MemorySample).t;
    let k = 0;
    for (let g = Math.max(0, Math.ceil(first / step)); g < count; g++) {
      const at = g * step;
      if (at > end) break;
      while (k + 1 < s.length && (s[k + 1] as MemorySample).t <= at) k++;
      const x = s[k] as MemorySample;
      if (x.t > at) continue;
      rss[g] = (rss[g] as number) + x.rss;
      add(pss, g, x.pss);
      add(uss, g, x.uss);
      add(pd, g, x.privateDirty);
    }
  }
  return { stepMs: step, t, rss, pss, uss, privateDirty: pd };
}

function buildMemory(profile: Profile, keys: readonly string[], opts: BuildOptions): MemoryView {
  const withSamples = profile.processes.filter((p) => p.samples.length > 0);
  const maxPoints = Math.min(MAX_POINTS_PER_SERIES, Math.max(3, opts.maxPointsPerSeries ?? pointsPerSeries(withSamples.length)));
  const series: MemorySeriesView[] = [];
  if (opts.cache) {
    const run = `${profile.startedAt}\n${profile.command.join("\0")}`;
    if (opts.cache.run !== run) { opts.cache.series.clear(); opts.cache.run = run; }
  }
  profile.processes.forEach((p, i) => {
    if (p.samples.length > 0) series.push(buildSeries(p, keys[i] as string, maxPoints, opts.cache));
  });
  if (opts.cache) {
    const live = new Set(series.map((x) => x.key));
    for (const k of [...opts.cache.series.keys()]) if (!live.has(k)) opts.cache.series.delete(k);
  }
  return { maxPointsPerSeries: maxPoints, series, sum: buildSum(profile.processes, MAX_POINTS_PER_SERIES) };
}

function buildTimeline(profile: Profile): CopyTimelineView {
  const tl = profile.timeline;
  const channels = (Object.keys(tl.bytes) as Channel[]).filter((c) => (tl.bytes[c]?.length ?? 0) > 0).sort();
  const raw = channels.map((c) => tl.bytes[c] as number[]);
  const merged = mergeBuckets(tl.t, raw, tl.bucketMs, MAX_POINTS_PER_SERIES);
  return {
    bucketMs: merged.bucketMs,
    t: merged.t,
    channels: channels.map((channel, i) => {
      const bytes = merged.series[i] as number[];
      return { channel, bytes, total: bytes.reduce((a, b) => a + b, 0) };
    }),
  };
}

function buildCopies(profile: Profile): CopiesView {
  const rows = new Map<string, SiteRow & { pidSet: Set<number> }>();
  const byChannel = new Map<string, CopiesView["byChannel"][number]>();
  for (const c of profile.copies) {
    const siteKey = c.site ? `${c.site.file}:${c.site.line}:${c.site.function}` : "?";
    const key = `${siteKey}|${c.channel}|${c.direction}`;
    let row = rows.get(key);
    if (!row) {
      row = { key, site: siteRef(c.site), channel: c.channel, direction: c.direction, count: 0, bytes: 0, pickleMs: 0, processes: 0, pidSet: new Set() };
      rows.set(key, row);
    }
    row.count += c.count;
    row.bytes += c.bytes;
    row.pickleMs += c.pickleNs / 1e6;
    row.pidSet.add(c.pid);
    const chKey = `${c.channel}|${c.direction}`;
    let ch = byChannel.get(chKey);
    if (!ch) {
      ch = { channel: c.channel, direction: c.direction, bytes: 0, count: 0, pickleMs: 0 };
      byChannel.set(chKey, ch);
    }
    ch.bytes += c.bytes;
    ch.count += c.count;
    ch.pickleMs += c.pickleNs / 1e6;
  }
  const all = [...rows.values()].sort((a, b) => b.bytes - a.bytes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sites: SiteRow[] = all.slice(0, SITE_ROWS_LIMIT).map(({ pidSet, ...r }) => ({ ...r, processes: pidSet.size }));
  const dirOrder = (d: Direction) => (d === "send" ? 0 : 1);
  return {
    timeline: buildTimeline(profile),
    sites,
    sitesTotal: all.length,
    byChannel: [...byChannel.values()].sort((a, b) => b.bytes - a.bytes || dirOrder(a.direction) - dirOrder(b.direction)),
  };
}

function buildProcesses(profile: Profile, keys: readonly string[]): ProcessRow[] {
  const sent = new Map<string, number>();
  const recv = new Map<string, number>();
  for (const c of profile.copies) {
    const k = c.tid !== undefined && c.tid !== null ? `${c.pid}:t${c.tid}` : String(c.pid);
    const m = c.direction === "send" ? sent : recv;
    m.set(k, (m.get(k) ?? 0) + c.bytes);
  }
  const credited = new Set<string>();
  return profile.processes.map((p, i) => {
    const key = keys[i] as string;
    const base = key.split("#")[0] as string;
    // Copy records carry no incarnation: credit them to the first process with that pid.
    const first = !credited.has(base);
    credited.add(base);
    const lastT = p.samples.length > 0 ? (p.samples[p.samples.length - 1] as MemorySample).t : null;
    const end = p.endedAt ?? lastT;
    return {
      key,
      pid: p.pid,
      ppid: p.ppid,
      tid: p.tid ?? null,
      role: p.role,
      name: p.name,
      startMethod: p.startMethod,
      startedAt: p.startedAt,
      endedAt: p.endedAt,
      lifetimeMs: end !== null ? Math.max(0, end - p.startedAt) : null,
      exitCode: p.exitCode,
      instrumented: p.instrumented,
      peakRss: p.peak.rss ?? peakOf(p.samples, "rss"),
      peakPss: p.peak.pss ?? peakOf(p.samples, "pss"),
      peakUss: p.peak.uss ?? peakOf(p.samples, "uss"),
      peakPrivateDirty: p.peak.privateDirty ?? peakOf(p.samples, "privateDirty"),
      cowBrokenBytes: p.cowBrokenBytes ?? null,
      cowInheritedBytes: p.cowInheritedBytes ?? null,
      bytesSent: first ? sent.get(base) ?? 0 : 0,
      bytesReceived: first ? recv.get(base) ?? 0 : 0,
    };
  });
}

function buildSharedMemory(profile: Profile): SharedMemoryRow[] {
  return profile.sharedMemory.map((b, i) => ({
    key: `${i}:${b.kind}:${b.name}`,
    kind: b.kind,
    name: b.name,
    bytes: b.bytes,
    pid: b.pid,
    site: siteRef(b.site),
    attachedPids: b.attachedPids.slice(),
    unlinked: b.unlinked,
  }));
}

function buildFindings(profile: Profile): FindingRow[] {
  const rank = { error: 0, warning: 1, info: 2 } as const;
  return profile.findings
    .map((f, i) => ({ key: `${i}:${f.rule}`, rule: f.rule, severity: f.severity, message: f.message, site: siteRef(f.site), fix: f.fix ?? null }))
    .sort((a, b) => rank[a.severity] - rank[b.severity]);
}

function buildMeta(profile: Profile, live: boolean): ProfileMeta {
  return {
    title: scriptTitle(profile.command),
    command: profile.command.slice(),
    cwd: profile.cwd,
    runtime: profile.runtime,
    interpreter: profile.python ? `${profile.python.version} (${profile.python.executable})` : null,
    startedAt: profile.startedAt,
    live,
    complete: profile.complete,
    exitCode: profile.exitCode,
    warnings: profile.warnings.slice(),
    platform: profile.capabilities.platform,
    pss: profile.capabilities.pss,
    uss: profile.capabilities.uss,
    stats: { ...profile.stats },
  };
}

function buildTotals(profile: Profile): HeaderTotals {
  const t = profile.totals;
  return {
    wallMs: profile.wallMs,
    processes: t.processes,
    bytesSent: t.bytesSent,
    bytesReceived: t.bytesReceived,
    messagesSent: t.messagesSent,
    messagesReceived: t.messagesReceived,
    peakPssSum: t.peakPssSum,
    peakRssSum: t.peakRssSum,
    sharedMemoryBytes: t.sharedMemoryBytes,
    maxCowBrokenBytes: t.maxCowBrokenBytes,
    findings: profile.findings.length,
  };
}

export function buildProfileView(profile: Profile, opts: BuildOptions = {}): ProfileView {
  const keys = processKeys(profile.processes);
  return {
    kind: "profile",
    meta: buildMeta(profile, opts.live ?? false),
    totals: buildTotals(profile),
    memory: buildMemory(profile, keys, opts),
    copies: buildCopies(profile),
    processes: buildProcesses(profile, keys),
    sharedMemory: buildSharedMemory(profile),
    findings: buildFindings(profile),
  };
}

export function buildComparisonView(profiles: readonly Profile[]): ComparisonView {
  const titles = profiles.map((p) => scriptTitle(p.command));
  const count = new Map<string, number>();
  for (const t of titles) count.set(t, (count.get(t) ?? 0) + 1);
  const seen = new Map<string, number>();
  const rows: ComparisonRow[] = profiles.map((p, i) => {
    const title = titles[i] as string;
    const n = (seen.get(title) ?? 0) + 1;
    seen.set(title, n);
    const label = (count.get(title) ?? 0) > 1 ? `${title} (${n})` : title;
    return {
      key: `${i}`,
      label,
      command: p.command.slice(),
      startedAt: p.startedAt,
      complete: p.complete,
      wallMs: p.wallMs,
      bytesCopied: p.totals.bytesSent,
      messages: p.totals.messagesSent,
      peakPssSum: p.totals.peakPssSum,
      peakRssSum: p.totals.peakRssSum,
      maxCowBrokenBytes: p.totals.maxCowBrokenBytes,
      findings: p.findings.length,
      processes: p.totals.processes,
    };
  });
  return { kind: "comparison", pss: profiles.every((p) => p.capabilities.pss), rows };
}

/**
 * True when `file:line` is a site the view shows (copy sites, findings, shared memory). The host
 * opens only such sites: the webview's messages are input, not commands.
 */
export function viewHasSite(view: ProfileView | ComparisonView | null | undefined, file: string, line: number): boolean {
  if (!view || view.kind !== "profile") return false;
  const match = (s: SiteRef | null) => s !== null && s.file === file && s.line === line;
  return view.copies.sites.some((r) => match(r.site)) || view.findings.some((f) => match(f.site))
    || view.sharedMemory.some((b) => match(b.site));
}
