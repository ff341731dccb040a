/**
 * The profile JSON, `schema: "wmprof/1"`: the contract every face (CLI, extension, HTML report)
 * and every user script builds on. Documented in docs/profile-schema.md. Additive changes keep
 * "wmprof/1"; anything that changes the meaning of an existing field needs "wmprof/2".
 *
 * Times inside the profile (`t`, `startedAt`, `endedAt` of processes) are milliseconds since the
 * run started; the top-level `startedAt` is an ISO 8601 timestamp.
 */
import type { Channel, Direction, Role, SharedKind, StartMethod } from "./events";

export const PROFILE_SCHEMA = "wmprof/1";

export interface Site {
  file: string;
  line: number;
  function: string;
}

/** One memory sample of one process. Bytes. Fields the platform cannot provide are null. */
export interface MemorySample {
  t: number;
  rss: number;
  pss: number | null;
  uss: number | null;
  sharedClean: number | null;
  sharedDirty: number | null;
  privateClean: number | null;
  privateDirty: number | null;
  swap: number | null;
  /** Pss_Shmem: this process's proportional share of shared-memory segments. */
  pssShmem?: number | null;
  /** RssAnon from /proc/<pid>/status. */
  anon?: number | null;
  minflt: number | null;
  majflt: number | null;
}

export type PeakMemory = Partial<Record<Exclude<keyof MemorySample, "t">, number>>;

export interface HeapSample {
  t: number;
  blocks?: number;
  gcCount?: [number, number, number];
  collections?: [number, number, number];
  traced?: [number, number];
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Node worker thread id, when this row is a thread. */
  tid?: number;
  role: Role;
  startMethod: StartMethod | null;
  name: string | null;
  /** ms since run start. */
  startedAt: number;
  endedAt: number | null;
  /** Negative = killed by that signal (e.g. -9). Null while running or unknown. */
  exitCode: number | null;
  /** True when the harness ran inside this process (false: seen only by the sampler). */
  instrumented: boolean;
  samples: MemorySample[];
  peak: PeakMemory;
  heap: HeapSample[];
  /** Copy-on-write breakage for fork children: private dirty anon bytes at the end / at peak. */
  cowBrokenBytes?: number | null;
  /** Estimate of how much of cowBrokenBytes was inherited from the parent (vs own allocations). */
  cowInheritedBytes?: number | null;
}

export interface CopyRecord {
  channel: Channel;
  direction: Direction;
  pid: number;
  tid?: number;
  /** Serialized bytes (pickle / structured clone / JSON) crossing the process boundary. */
  bytes: number;
  count: number;
  /** Time spent pickling (send) or unpickling (recv), ns. */
  pickleNs: number;
  site: Site | null;
  /** Message-size histogram, buckets per SIZE_BUCKETS in events.ts. */
  hist: number[];
  /** Node: bit mask of message kinds (MESSAGE_KINDS in events.ts); absent for Python. */
  kinds?: number;
}

export interface SharedMemoryBlock {
  kind: SharedKind;
  name: string;
  bytes: number;
  /** Creator pid. */
  pid: number;
  site: Site | null;
  attachedPids: number[];
  unlinked: boolean;
}

export type Severity = "info" | "warning" | "error";

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  site: Site | null;
  fix?: string;
  /** The measured figures behind the message, for tools. */
  data?: Record<string, number | string>;
}

export interface Capabilities {
  platform: string;
  /** /proc/<pid>/smaps_rollup readable: PSS, USS, private/shared split are real. */
  pss: boolean;
  uss: boolean;
  /** The harness reported Python/V8 heap figures. */
  heap: boolean;
  tracemalloc: boolean;
}

export interface Totals {
  /** Bytes serialized for another process or thread: copies. Excludes moves (channel `transfer`). */
  bytesSent: number;
  bytesReceived: number;
  /** Node: ArrayBuffer bytes moved by a transfer list (not copied). */
  bytesTransferred?: number;
  messagesSent: number;
  messagesReceived: number;
  processes: number;
  /** Max over time of Σ PSS: the honest "memory this job used". Null without PSS. */
  peakPssSum: number | null;
  /** Max over time of Σ RSS: what naive tools report (shared pages counted once per process). */
  peakRssSum: number | null;
  /** Shared memory counted once. */
  sharedMemoryBytes: number;
  /** Worst child's COW-broken bytes. */
  maxCowBrokenBytes: number | null;
}

/** Bytes copied over time, per channel, in fixed-width buckets (downsampled; ≤ 2,000 points). */
export interface CopyTimeline {
  bucketMs: number;
  /** Bucket start times, ms since run start. */
  t: number[];
  /** Bytes sent per bucket for each channel that saw traffic. */
  bytes: Partial<Record<Channel, number[]>>;
}

export interface Profile {
  schema: typeof PROFILE_SCHEMA;
  tool: { name: "wmprof"; version: string };
  runtime: "python" | "node";
  /** The target as given: [script, ...args] or ["-m", module, ...args]. */
  command: string[];
  cwd: string;
  /** Interpreter: version and path (named `python` for the Python runtime, kept for Node too). */
  python: { executable: string; version: string } | null;
  /** The script's exit code; negative when the main process was killed by a signal. */
  exitCode: number | null;
  startedAt: string;
  wallMs: number;
  /** False when events may be missing (log unwritable, profiler killed, recovered run). */
  complete: boolean;
  warnings: string[];
  capabilities: Capabilities;
  processes: ProcessInfo[];
  copies: CopyRecord[];
  sharedMemory: SharedMemoryBlock[];
  timeline: CopyTimeline;
  totals: Totals;
  findings: Finding[];
  /** Decoder statistics, for trust: how many lines were read and how many were malformed. */
  stats: { eventLines: number; malformedLines: number; samples: number };
}
