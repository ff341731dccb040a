/**
 * A small typed builder for synthetic wmprof/1 profiles, for unit tests of totals, COW accounting
 * and findings. Everything not given gets a neutral default (no copies, no samples, complete run).
 *
 *   const p = new ProfileBuilder()
 *     .process({ pid: 100, role: "main" })
 *     .process({ pid: 101, ppid: 100, role: "worker", startMethod: "fork", startedAt: 100 })
 *     .memory(101, [[100, { privateDirty: 2 * MB, anon: 250 * MB }], [500, { privateDirty: 180 * MB }]])
 *     .copy({ pid: 100, channel: "queue", count: 10, bytes: 500 * MB, site: site("main.py", 12) })
 *     .build();
 *
 * Node profiles: `.node()` sets the runtime; `.thread({ pid, tid })` adds a worker thread row;
 * copies and heap samples take a `tid` (and copies the `kinds` bit mask of MESSAGE_KINDS):
 *
 *   new ProfileBuilder().node()
 *     .process({ pid: 100, role: "main" })
 *     .thread({ pid: 100, tid: 1, name: "worker.mjs" })
 *     .copy({ pid: 100, channel: "message-port", count: 8, eachBytes: 8 * MB, kinds: MESSAGE_KINDS.binary, site: site("main.mjs", 9) })
 *     .heap(100, [{ t: 300, heapUsed: 5 * MB }], 1)
 *     .build();
 */
import {
  HISTOGRAM_LENGTH, SIZE_BUCKETS, type Channel, type Direction, type Role, type StartMethod,
} from "../../../src/protocol/events";
import {
  PROFILE_SCHEMA, type CopyRecord, type HeapSample, type MemorySample, type PeakMemory, type ProcessInfo,
  type Profile, type SharedMemoryBlock, type Site,
} from "../../../src/protocol/profile";

export const KB = 1024;
export const MB = 1024 * 1024;
export const GB = 1024 * MB;

export function site(file: string, line: number, fn = "main"): Site {
  return { file, line, function: fn };
}

/** A full MemorySample: unspecified smaps fields are null, rss defaults to the largest figure given. */
export function sample(t: number, fields: Partial<Omit<MemorySample, "t">> = {}): MemorySample {
  const known = [fields.pss, fields.uss, fields.privateDirty, fields.anon].filter((v): v is number => typeof v === "number");
  return {
    t,
    rss: fields.rss ?? Math.max(0, ...known),
    pss: fields.pss ?? null,
    uss: fields.uss ?? null,
    sharedClean: fields.sharedClean ?? null,
    sharedDirty: fields.sharedDirty ?? null,
    privateClean: fields.privateClean ?? null,
    privateDirty: fields.privateDirty ?? null,
    swap: fields.swap ?? null,
    pssShmem: fields.pssShmem ?? null,
    anon: fields.anon ?? null,
    minflt: fields.minflt ?? null,
    majflt: fields.majflt ?? null,
  };
}

/** A size histogram where all `count` messages have the same size. */
export function histOf(count: number, eachBytes: number): number[] {
  const h = new Array<number>(HISTOGRAM_LENGTH).fill(0);
  let i = SIZE_BUCKETS.findIndex((bound) => eachBytes < bound);
  if (i < 0) i = HISTOGRAM_LENGTH - 1;
  h[i] = count;
  return h;
}

export interface ProcessSpec {
  pid: number;
  /** Node worker thread id (role "thread"); see also ProfileBuilder.thread(). */
  tid?: number;
  ppid?: number;
  role?: Role;
  startMethod?: StartMethod | null;
  name?: string | null;
  startedAt?: number;
  endedAt?: number | null;
  exitCode?: number | null;
  instrumented?: boolean;
}

export interface CopySpec {
  pid: number;
  tid?: number;
  channel: Channel;
  direction?: Direction;
  /** Number of messages. */
  count: number;
  /** Total bytes (or give eachBytes). */
  bytes?: number;
  eachBytes?: number;
  pickleNs?: number;
  site?: Site | null;
  /** Node: MESSAGE_KINDS bits. */
  kinds?: number;
}

export interface ShmSpec {
  name: string;
  bytes: number;
  pid: number;
  kind?: SharedMemoryBlock["kind"];
  site?: Site | null;
  attachedPids?: number[];
  unlinked?: boolean;
}

export class ProfileBuilder {
  private readonly processes: ProcessInfo[] = [];
  private readonly copies: CopyRecord[] = [];
  private readonly shm: SharedMemoryBlock[] = [];
  private wallMs = 10_000;
  private rt: Profile["runtime"] = "python";

  /** A Node.js profile (runtime "node"); the default is Python. */
  node(): this {
    this.rt = "node";
    return this;
  }

  wall(ms: number): this {
    this.wallMs = ms;
    return this;
  }

  process(spec: ProcessSpec): this {
    this.processes.push({
      pid: spec.pid,
      ...(spec.tid !== undefined ? { tid: spec.tid } : {}),
      ppid: spec.ppid ?? 1,
      role: spec.role ?? (spec.tid !== undefined ? "thread" : spec.ppid === undefined ? "main" : "worker"),
      startMethod: spec.startMethod ?? null,
      name: spec.name ?? null,
      startedAt: spec.startedAt ?? 0,
      endedAt: spec.endedAt === undefined ? this.wallMs : spec.endedAt,
      exitCode: spec.exitCode === undefined ? 0 : spec.exitCode,
      instrumented: spec.instrumented ?? true,
      samples: [],
      peak: {},
      heap: [],
    });
    return this;
  }

  /** A Node worker thread of process `pid` (ppid = pid, role "thread", start method "thread"). */
  thread(spec: Omit<ProcessSpec, "tid" | "ppid"> & { tid: number }): this {
    return this.process({ startMethod: "thread", startedAt: 100, ...spec, ppid: spec.pid, role: spec.role ?? "thread" });
  }

  /** A main process and `n` children started with `startMethod`, pids main+1 … main+n. */
  pool(main: number, n: number, startMethod: StartMethod, startedAt = 100): this {
    if (!this.processes.some((p) => p.pid === main)) this.process({ pid: main, role: "main" });
    for (let i = 1; i <= n; i++) this.process({ pid: main + i, ppid: main, role: "worker", startMethod, startedAt });
    return this;
  }

  /** Append memory samples [t, fields] to the (latest) process with this pid; peak is recomputed. */
  memory(pid: number, points: ReadonlyArray<readonly [number, Partial<Omit<MemorySample, "t">>]>): this {
    const p = this.proc(pid);
    for (const [t, f] of points) p.samples.push(sample(t, f));
    p.samples.sort((a, b) => a.t - b.t);
    p.peak = peakOf(p.samples);
    return this;
  }

  /** Append heap samples to the process with this pid, or to its thread `tid`. */
  heap(pid: number, points: ReadonlyArray<HeapSample>, tid?: number): this {
    this.proc(pid, tid).heap.push(...points);
    return this;
  }

  copy(spec: CopySpec): this {
    const bytes = spec.bytes ?? (spec.eachBytes ?? 0) * spec.count;
    const each = spec.count > 0 ? bytes / spec.count : 0;
    this.copies.push({
      channel: spec.channel,
      direction: spec.direction ?? "send",
      pid: spec.pid,
      ...(spec.tid !== undefined ? { tid: spec.tid } : {}),
      bytes,
      count: spec.count,
      pickleNs: spec.pickleNs ?? spec.count * 20_000,
      site: spec.site === undefined ? null : spec.site,
      hist: histOf(spec.count, each),
      ...(spec.kinds !== undefined ? { kinds: spec.kinds } : {}),
    });
    return this;
  }

  sharedMemory(spec: ShmSpec): this {
    this.shm.push({
      kind: spec.kind ?? "shared_memory",
      name: spec.name,
      bytes: spec.bytes,
      pid: spec.pid,
      site: spec.site ?? null,
      attachedPids: spec.attachedPids ?? [],
      unlinked: spec.unlinked ?? true,
    });
    return this;
  }

  build(): Profile {
    // As the model does: a transfer (channel `transfer`) is a move, never part of the copy totals.
    const copied = this.copies.filter((c) => c.channel !== "transfer");
    const sent = copied.filter((c) => c.direction === "send");
    const received = copied.filter((c) => c.direction === "recv");
    const bytesTransferred = sum(this.copies.filter((c) => c.channel === "transfer" && c.direction === "send").map((c) => c.bytes));
    const node = this.rt === "node";
    return {
      schema: PROFILE_SCHEMA,
      tool: { name: "wmprof", version: "0.0.0-test" },
      runtime: this.rt,
      command: [node ? "script.mjs" : "script.py"],
      cwd: "/work/proj",
      python: node ? { executable: "/usr/bin/node", version: "v20.20.2" } : { executable: "/usr/bin/python3", version: "3.11.7" },
      exitCode: 0,
      startedAt: "2025-01-01T00:00:00.000Z",
      wallMs: this.wallMs,
      complete: true,
      warnings: [],
      capabilities: { platform: "linux", pss: true, uss: true, heap: true, tracemalloc: false },
      processes: structuredClone(this.processes),
      copies: structuredClone(this.copies),
      sharedMemory: structuredClone(this.shm),
      timeline: { bucketMs: 100, t: [], bytes: {} },
      totals: {
        bytesSent: sum(sent.map((c) => c.bytes)),
        bytesReceived: sum(received.map((c) => c.bytes)),
        ...(bytesTransferred ? { bytesTransferred } : {}),
        messagesSent: sum(sent.map((c) => c.count)),
        messagesReceived: sum(received.map((c) => c.count)),
        processes: this.processes.filter((p) => p.tid === undefined).length,
        peakPssSum: null,
        peakRssSum: null,
        sharedMemoryBytes: 0,
        maxCowBrokenBytes: null,
      },
      findings: [],
      stats: { eventLines: 0, malformedLines: 0, samples: sum(this.processes.map((p) => p.samples.length)) },
    };
  }

  private proc(pid: number, tid?: number): ProcessInfo {
    for (let i = this.processes.length - 1; i >= 0; i--) {
      const p = this.processes[i] as ProcessInfo;
      if (p.pid === pid && p.tid === tid) return p;
    }
    throw new Error(`ProfileBuilder: no process ${pid}${tid === undefined ? "" : ` thread ${tid}`}; add it with .process() or .thread() first`);
  }
}

function peakOf(samples: readonly MemorySample[]): PeakMemory {
  const peak: PeakMemory = {};
  for (const s of samples) {
    for (const [k, v] of Object.entries(s) as [keyof MemorySample, number | null | undefined][]) {
      if (k === "t" || typeof v !== "number") continue;
      const cur = peak[k];
      if (cur === undefined || v > cur) peak[k] = v;
    }
  }
  return peak;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
