/**
 * Host ↔ webview protocol, version 1, and the ready-to-plot view model it carries.
 *
 * Imported by both bundles: the extension host / CLI (which build view models from a wmprof/1
 * Profile in src/core/view) and the browser app in src/webview (which only renders them).
 * "Host parses, webview renders": the webview never sees per-message records or raw samples,
 * only decimated series (≤ 2,000 points each) and aggregated rows.
 *
 * Handshake: the webview posts `ready` (with the revision it already shows, if any); the host
 * answers with a full `snapshot`, then `delta`s whose `base` is the revision they apply to.
 * A webview that receives a delta for another base posts `ready` again to resync.
 *
 * All byte figures are bytes, all times are milliseconds since the run started (as in the
 * profile). Formatting happens in the webview.
 */
import type { Channel, Direction, Role, SharedKind, StartMethod } from "./events";
import type { Severity } from "./profile";

export const WEBVIEW_PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// View model

export const MEMORY_METRICS = ["rss", "pss", "uss", "privateDirty"] as const;
export type MemoryMetric = (typeof MEMORY_METRICS)[number];

/** One process's memory over time, decimated (the same sample indices for every metric). */
export interface MemorySeriesView {
  /** Stable id across updates: "<pid>", "<pid>:t<tid>" for threads, "<pid>#2" for a reused pid. */
  key: string;
  pid: number;
  tid: number | null;
  role: Role;
  name: string | null;
  /** Legend text, e.g. "worker 4312 (ForkPoolWorker-1)". */
  label: string;
  /** Number of samples before decimation. */
  samples: number;
  t: number[];
  rss: number[];
  pss: (number | null)[];
  uss: (number | null)[];
  privateDirty: (number | null)[];
}

/** Σ over all live processes on a common time grid (sample-and-hold per process). */
export interface MemorySumView {
  stepMs: number;
  t: number[];
  rss: number[];
  pss: (number | null)[];
  uss: (number | null)[];
  privateDirty: (number | null)[];
}

export interface MemoryView {
  maxPointsPerSeries: number;
  series: MemorySeriesView[];
  sum: MemorySumView | null;
}

export interface CopyChannelSeries {
  channel: Channel;
  /** Bytes sent per bucket. */
  bytes: number[];
  total: number;
}

export interface CopyTimelineView {
  bucketMs: number;
  t: number[];
  channels: CopyChannelSeries[];
}

export interface SiteRef {
  file: string;
  line: number;
  function: string;
}

/** One row of the "top call sites" chart/table: a site × channel × direction. */
export interface SiteRow {
  key: string;
  site: SiteRef | null;
  channel: Channel;
  direction: Direction;
  count: number;
  bytes: number;
  pickleMs: number;
  /** Number of distinct processes that copied through this site. */
  processes: number;
}

export interface CopiesView {
  timeline: CopyTimelineView;
  /** Top sites by bytes, at most `SITE_ROWS_LIMIT`. */
  sites: SiteRow[];
  /** Number of site rows before truncation. */
  sitesTotal: number;
  byChannel: { channel: Channel; direction: Direction; bytes: number; count: number; pickleMs: number }[];
}

export interface ProcessRow {
  key: string;
  pid: number;
  ppid: number;
  tid: number | null;
  role: Role;
  name: string | null;
  startMethod: StartMethod | null;
  startedAt: number;
  endedAt: number | null;
  /** endedAt − startedAt, or up to the last sample while running. */
  lifetimeMs: number | null;
  exitCode: number | null;
  instrumented: boolean;
  peakRss: number | null;
  peakPss: number | null;
  peakUss: number | null;
  peakPrivateDirty: number | null;
  cowBrokenBytes: number | null;
  cowInheritedBytes: number | null;
  bytesSent: number;
  bytesReceived: number;
}

export interface SharedMemoryRow {
  key: string;
  kind: SharedKind;
  name: string;
  bytes: number;
  pid: number;
  site: SiteRef | null;
  attachedPids: number[];
  unlinked: boolean;
}

export interface FindingRow {
  key: string;
  rule: string;
  severity: Severity;
  message: string;
  site: SiteRef | null;
  fix: string | null;
}

export interface ProfileMeta {
  /** Script (or module) name, e.g. "pool_copy.py". */
  title: string;
  command: string[];
  cwd: string;
  runtime: "python" | "node";
  interpreter: string | null;
  startedAt: string;
  live: boolean;
  complete: boolean;
  exitCode: number | null;
  warnings: string[];
  platform: string;
  /** PSS (smaps_rollup) available: otherwise "shared" is RSS − USS. */
  pss: boolean;
  uss: boolean;
  stats: { eventLines: number; malformedLines: number; samples: number };
}

export interface HeaderTotals {
  wallMs: number;
  processes: number;
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  peakPssSum: number | null;
  peakRssSum: number | null;
  sharedMemoryBytes: number;
  maxCowBrokenBytes: number | null;
  findings: number;
}

export interface ProfileView {
  kind: "profile";
  meta: ProfileMeta;
  totals: HeaderTotals;
  memory: MemoryView;
  copies: CopiesView;
  processes: ProcessRow[];
  sharedMemory: SharedMemoryRow[];
  findings: FindingRow[];
}

export interface ComparisonRow {
  key: string;
  /** Strategy label: the script name, disambiguated when two profiles share one. */
  label: string;
  command: string[];
  startedAt: string;
  complete: boolean;
  wallMs: number;
  /** Serialized bytes sent across process boundaries (each copy counted once). */
  bytesCopied: number;
  messages: number;
  peakPssSum: number | null;
  peakRssSum: number | null;
  maxCowBrokenBytes: number | null;
  findings: number;
  processes: number;
}

export interface ComparisonView {
  kind: "comparison";
  /** PSS available in every profile. */
  pss: boolean;
  rows: ComparisonRow[];
}

export type AnyView = ProfileView | ComparisonView;

// ---------------------------------------------------------------------------------------------
// Deltas (ProfileView only; comparisons are always sent whole)

/**
 * Columns sharing one index space, patched from a common index:
 * `next[col] = prev[col].slice(0, from).concat(cols[col])` for every column.
 */
export interface ColumnPatch<C extends string> {
  from: number;
  cols: Record<C, (number | null)[]>;
}

export type SeriesColumn = "t" | MemoryMetric;

export interface MemorySeriesPatch {
  key: string;
  samples: number;
  patch: ColumnPatch<SeriesColumn>;
}

export interface MemoryDelta {
  /** Series keys in display order (always present: series may appear or disappear). */
  order: string[];
  /** Series sent whole (new, or whose identity fields changed). */
  upsert: MemorySeriesView[];
  /** Series whose columns changed (usually a small tail). */
  patch: MemorySeriesPatch[];
  maxPointsPerSeries?: number;
  /** Replaced whole when the grid step changed, else patched. */
  sum?: MemorySumView | null;
  sumPatch?: ColumnPatch<SeriesColumn>;
}

export interface TimelinePatch {
  from: number;
  t: number[];
  /** Channel → bytes tail, for every channel (same channels, same order as before). */
  bytes: Partial<Record<Channel, number[]>>;
  totals: Partial<Record<Channel, number>>;
}

/** Sections absent from the delta are unchanged. */
export interface ProfileViewDelta {
  kind: "profile";
  meta?: ProfileMeta;
  totals?: HeaderTotals;
  memory?: MemoryDelta;
  /** Whole timeline (bucket width or channel set changed) … */
  timeline?: CopyTimelineView;
  /** … or only its tail. */
  timelinePatch?: TimelinePatch;
  sites?: { sites: SiteRow[]; sitesTotal: number };
  byChannel?: CopiesView["byChannel"];
  processes?: ProcessRow[];
  sharedMemory?: SharedMemoryRow[];
  findings?: FindingRow[];
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Host → webview: the whole view. Replaces whatever the webview showed. */
export interface SnapshotMessage {
  type: "snapshot";
  v: typeof WEBVIEW_PROTOCOL_VERSION;
  revision: number;
  view: AnyView;
}

/** Host → webview: changes since revision `base`. */
export interface DeltaMessage {
  type: "delta";
  v: typeof WEBVIEW_PROTOCOL_VERSION;
  base: number;
  revision: number;
  delta: ProfileViewDelta;
}

export type HostToWebviewMessage = SnapshotMessage | DeltaMessage;

/** Webview → host: loaded (or out of sync); please send a snapshot. */
export interface ReadyMessage {
  type: "ready";
  v: typeof WEBVIEW_PROTOCOL_VERSION;
  /** The revision the webview currently shows (restored from state), or null. */
  revision: number | null;
}

/** Webview → host: the user clicked a call site. `line` is 1-based. */
export interface OpenSiteMessage {
  type: "openSite";
  file: string;
  line: number;
}

/** Webview → host: the user pressed Stop on a live run. */
export interface StopMessage {
  type: "stop";
}

/** Webview → host: an uncaught error in the webview, for the host's log. */
export interface ErrorMessage {
  type: "error";
  message: string;
}

export type WebviewToHostMessage = ReadyMessage | OpenSiteMessage | StopMessage | ErrorMessage;

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Validates a message received from the webview (the host treats webview input as untrusted). */
export function isWebviewToHostMessage(x: unknown): x is WebviewToHostMessage {
  if (!isObject(x)) return false;
  switch (x.type) {
    case "ready":
      return x.v === WEBVIEW_PROTOCOL_VERSION && (x.revision === null || Number.isInteger(x.revision));
    case "openSite":
      return typeof x.file === "string" && x.file.length > 0 && Number.isInteger(x.line) && (x.line as number) >= 1;
    case "stop":
      return true;
    case "error":
      return typeof x.message === "string";
    default:
      return false;
  }
}

/** Validates a message received from the host (or embedded in a report). */
export function isHostToWebviewMessage(x: unknown): x is HostToWebviewMessage {
  if (!isObject(x) || x.v !== WEBVIEW_PROTOCOL_VERSION) return false;
  switch (x.type) {
    case "snapshot":
      return Number.isInteger(x.revision) && isObject(x.view) && (x.view.kind === "profile" || x.view.kind === "comparison");
    case "delta":
      return Number.isInteger(x.base) && Number.isInteger(x.revision) && isObject(x.delta) && x.delta.kind === "profile";
    default:
      return false;
  }
}
