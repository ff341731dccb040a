/**
 * Harness → core event protocol, version 1.
 *
 * Every instrumented process (Python or Node) appends NDJSON lines to its own file in the
 * run folder: `<runDir>/events-<pid>.ndjson` (Node worker threads: `events-<pid>-t<threadId>.ndjson`).
 * Never the script's stdout/stderr. Lines are self-describing (`e` discriminates, `pid` on every
 * line) so a file can be decoded on its own, in any order, while it grows, or after a crash.
 *
 * Counters in `agg` are cumulative for one process incarnation (from its `hello` on). A lost or
 * truncated line therefore loses nothing: the next `agg` supersedes it. Times are Unix epoch ms.
 */

export const EVENT_PROTOCOL_VERSION = 1;

export const CHANNELS = [
  "queue", "pipe", "pool", "executor", "process-args", "manager",
  // Node runtime
  "message-port", "ipc", "transfer",
] as const;
export type Channel = (typeof CHANNELS)[number];

export const DIRECTIONS = ["send", "recv"] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const ROLES = ["main", "worker", "forkserver", "resource_tracker", "manager", "subprocess", "thread"] as const;
export type Role = (typeof ROLES)[number];

export const START_METHODS = ["fork", "spawn", "forkserver", "thread", "exec"] as const;
export type StartMethod = (typeof START_METHODS)[number];

/** First line of every process incarnation. A second `hello` from the same pid is a new process (pid reuse or exec). */
export interface HelloEvent {
  e: "hello";
  v: number;
  pid: number;
  ppid: number;
  /** Node worker thread id; absent for processes. */
  tid?: number;
  t: number;
  role: Role;
  startMethod: StartMethod | null;
  /** multiprocessing Process name, e.g. "ForkPoolWorker-2", or the worker's name. */
  name: string | null;
  runtime: "python" | "node";
  /** Interpreter version, e.g. "3.11.7" or "v20.20.2". */
  version: string;
  executable: string;
  tracemalloc?: boolean;
}

/** A call site, defined once per process before first use. Ids are scoped to the pid (and tid). */
export interface SiteEvent {
  e: "site";
  pid: number;
  tid?: number;
  id: number;
  file: string;
  line: number;
  function: string;
}

/**
 * One cumulative counter row: [siteId (-1 = unknown), channel, direction, count, bytes, serializeNs,
 * histogram, kinds?]. `kinds` (Node) is a bit mask of what the messages were: see MESSAGE_KINDS.
 */
export type AggRow = [number, Channel, Direction, number, number, number, number[], number?];

/** Bits of AggRow[7]. */
export const MESSAGE_KINDS = { binary: 1, primitive: 2, objects: 4, sharedArrayBuffer: 8, estimated: 16 } as const;

/** Cumulative per-(site, channel, direction) counters. Histogram buckets: see SIZE_BUCKETS. */
export interface AggEvent {
  e: "agg";
  pid: number;
  tid?: number;
  t: number;
  rows: AggRow[];
}

/** Upper bounds (exclusive, bytes) of the size histogram buckets; the last bucket is open-ended. */
export const SIZE_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] as const;
export const HISTOGRAM_LENGTH = SIZE_BUCKETS.length + 1;

/** An individual large message (≥ 64 KiB), for the bytes-over-time series. Also counted in `agg`. */
export interface BigEvent {
  e: "big";
  pid: number;
  tid?: number;
  t: number;
  site: number;
  ch: Channel;
  dir: Direction;
  bytes: number;
  ns: number;
}

/** A parent started a child. Emitted by the parent right after start() returns. */
export interface ChildEvent {
  e: "child";
  pid: number;
  t: number;
  child: number;
  startMethod: StartMethod;
  role: Role;
  name: string | null;
}

/** A parent observed a child's exit code (negative = killed by that signal). */
export interface ReapEvent {
  e: "reap";
  pid: number;
  t: number;
  child: number;
  exitCode: number;
}

export type SharedKind = "shared_memory" | "sharedctypes" | "manager" | "SharedArrayBuffer";

/** Shared memory lifecycle. `create` carries the size and site; `attach` marks another pid mapping it. */
export interface ShmEvent {
  e: "shm";
  pid: number;
  tid?: number;
  t: number;
  op: "create" | "attach" | "close" | "unlink";
  kind: SharedKind;
  name: string;
  bytes: number;
  site: number;
}

/** Python / V8 heap figures sampled inside the process at ≤ 4 Hz (never from a thread of ours). */
export interface HeapEvent {
  e: "heap";
  pid: number;
  tid?: number;
  t: number;
  /** Python: sys.getallocatedblocks(). */
  blocks?: number;
  /** Python: gc.get_count(). */
  gcCount?: [number, number, number];
  /** Python: cumulative collections per generation from gc.get_stats(). */
  collections?: [number, number, number];
  /** Python with --tracemalloc: [current, peak] bytes. */
  traced?: [number, number];
  /** Node: v8.getHeapStatistics(). */
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

/**
 * The process's own memory at its end, read from /proc/self/smaps_rollup just before `bye` (Linux).
 * Bytes; the same fields as a sampler MemorySample. Catches children that live between two ticks.
 */
export interface MemEvent {
  e: "mem";
  pid: number;
  tid?: number;
  t: number;
  rss: number;
  pss: number;
  uss: number;
  sharedClean: number;
  sharedDirty: number;
  privateClean: number;
  privateDirty: number;
  swap: number;
  pssShmem?: number;
  anon?: number;
  minflt?: number;
  majflt?: number;
  /** VmHWM: the process's peak RSS over its whole life (a high-water mark, not a sample). */
  hwm?: number;
}

/** Last line of a process that ended normally (absent after SIGKILL or os._exit without flush). */
export interface ByeEvent {
  e: "bye";
  pid: number;
  tid?: number;
  t: number;
  exitCode: number | null;
}

/** The harness could not do something (e.g. a hook failed to install). Never fatal. */
export interface WarnEvent {
  e: "warn";
  pid: number;
  tid?: number;
  t: number;
  msg: string;
}

export type HarnessEvent =
  | HelloEvent | SiteEvent | AggEvent | BigEvent | ChildEvent | ReapEvent | ShmEvent | HeapEvent | MemEvent | ByeEvent | WarnEvent;

export type EventKind = HarnessEvent["e"];
