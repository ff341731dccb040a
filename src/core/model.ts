/**
 * The profile model: folds harness events and memory samples into bounded state and builds a
 * wmprof/1 Profile on demand. Memory is bounded by the number of (process, site, channel,
 * direction) tuples and by fixed caps on time series, never by the number of messages.
 */
import type { Channel, Direction, HarnessEvent, Role, StartMethod } from "../protocol/events";
import { HISTOGRAM_LENGTH } from "../protocol/events";
import type {
  Capabilities, CopyRecord, HeapSample, MemorySample, PeakMemory, ProcessInfo, Profile, SharedMemoryBlock, Site,
} from "../protocol/profile";
import { PROFILE_SCHEMA } from "../protocol/profile";
import { parseEventLine } from "./eventParser";
import { CopyTimelineBuilder } from "./timeline";

interface RowState {
  site: number;
  channel: Channel;
  direction: Direction;
  count: number;
  bytes: number;
  ns: number;
  hist: number[];
  kinds: number;
}

interface ProcState {
  pid: number;
  ppid: number;
  tid?: number;
  role: Role;
  startMethod: StartMethod | null;
  name: string | null;
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  instrumented: boolean;
  /** Its own `hello` was read (records can exist before: sampler ticks, lines read out of order). */
  helloSeen: boolean;
  sites: Map<number, Site>;
  rows: Map<string, RowState>;
  samples: MemorySample[];
  sampleStride: number;
  sampleSkip: number;
  peak: PeakMemory;
  heap: HeapSample[];
  heapStride: number;
  heapSkip: number;
}

interface ChildInfo {
  ppid: number;
  startMethod: StartMethod;
  role: Role;
  name: string | null;
  t: number;
}

/** Default caps on each process's series: when one is exceeded it is halved (every other point). */
export const MAX_SAMPLES_PER_PROCESS = 4000;
export const MAX_HEAP_PER_PROCESS = 2000;

export interface ModelOptions {
  /** Epoch ms the run started; every time in the profile is relative to it. */
  startedAtMs: number;
  maxSamplesPerProcess?: number;
  maxHeapPerProcess?: number;
}

export interface ProfileMeta {
  runtime: Profile["runtime"];
  command: string[];
  cwd: string;
  python: Profile["python"];
  exitCode: number | null;
  wallMs: number;
  complete: boolean;
  warnings: string[];
  capabilities: Capabilities;
  toolVersion: string;
}

const MAX_WARNINGS = 50;
const BIG_PREFIX = '{"e":"big",';

export class ProfileModel {
  private readonly current = new Map<string, ProcState>();
  private readonly all: ProcState[] = [];
  private readonly pendingChildren = new Map<number, ChildInfo>();
  private readonly shm = new Map<string, SharedMemoryBlock & { siteRef: { pid: number; id: number } }>();
  private readonly timeline: CopyTimelineBuilder;
  private readonly maxSamples: number;
  private readonly maxHeap: number;
  private peakPssSum: number | null = null;
  private peakRssSum: number | null = null;
  private bytesSent = 0;
  private bytesReceived = 0;
  private messagesSent = 0;
  private messagesReceived = 0;
  private bytesTransferred = 0;
  private sampleCount = 0;
  readonly warnings: string[] = [];
  readonly stats = { eventLines: 0, malformedLines: 0, unknownLines: 0 };
  /** Increments on every change, so views can skip updates when nothing moved. */
  version = 0;

  constructor(private readonly opts: ModelOptions) {
    this.timeline = new CopyTimelineBuilder(opts.startedAtMs);
    this.maxSamples = opts.maxSamplesPerProcess ?? MAX_SAMPLES_PER_PROCESS;
    this.maxHeap = opts.maxHeapPerProcess ?? MAX_HEAP_PER_PROCESS;
  }

  /** Decodes and ingests one NDJSON line; malformed lines are counted and skipped. */
  ingestLine(line: string): void {
    if (line.length === 0) return;
    this.stats.eventLines++;
    // `big` lines (one per message ≥ 64 KiB) are already counted in `agg` and ignored below; both
    // harnesses write them with this exact prefix, so skip the parse (most of ingest time otherwise).
    if (line.startsWith(BIG_PREFIX)) return;
    const r = parseEventLine(line);
    if (r.ok) this.ingest(r.event);
    else if (r.reason === "unknown") this.stats.unknownLines++;
    else this.stats.malformedLines++;
  }

  ingest(ev: HarnessEvent): void {
    this.version++;
    switch (ev.e) {
      case "hello": {
        const key = procKey(ev.pid, ev.tid);
        const prev = this.current.get(key);
        const pending = ev.tid === undefined ? this.pendingChildren.get(ev.pid) : undefined;
        this.pendingChildren.delete(ev.pid);
        let p: ProcState;
        // Known before its hello arrived (sampler ticks, or the parent's child/reap lines read
        // first): the same process unless that record ended before this hello was written.
        if (prev && !prev.helloSeen && (prev.endedAt === null || prev.endedAt >= ev.t)) {
          p = prev;
          p.instrumented = true;
          p.ppid = ev.ppid;
          p.startedAt = Math.min(p.startedAt, ev.t);
        } else {
          if (prev && prev.endedAt === null) prev.endedAt = ev.t; // pid reuse or exec: the old one is gone
          p = this.newProc(ev.pid, ev.ppid, ev.t, true, ev.tid);
        }
        p.helloSeen = true;
        p.role = pending && pending.role !== "worker" && ev.role === "worker" ? pending.role : ev.role;
        p.startMethod = ev.startMethod ?? pending?.startMethod ?? null;
        p.name = ev.name ?? pending?.name ?? null;
        this.current.set(key, p);
        return;
      }
      case "site": {
        this.proc(ev.pid, ev.tid).sites.set(ev.id, { file: ev.file, line: ev.line, function: ev.function });
        return;
      }
      case "agg": {
        const p = this.proc(ev.pid, ev.tid);
        for (const r of ev.rows) {
          const [site, channel, direction, count, bytes, ns, hist, kinds] = r;
          const key = `${site}|${channel}|${direction}`;
          let row = p.rows.get(key);
          if (!row) {
            row = { site, channel, direction, count: 0, bytes: 0, ns: 0, hist: new Array<number>(HISTOGRAM_LENGTH).fill(0), kinds: 0 };
            p.rows.set(key, row);
          }
          // Cumulative counters: the delta since the last line is what happened in between.
          const dBytes = bytes >= row.bytes ? bytes - row.bytes : bytes;
          const dCount = count >= row.count ? count - row.count : count;
          if (channel === "transfer") {
            // A transferred ArrayBuffer is moved, not copied: never part of the copy totals.
            if (direction === "send") this.bytesTransferred += dBytes;
          } else if (direction === "send") {
            this.bytesSent += dBytes;
            this.messagesSent += dCount;
            this.timeline.add(ev.t, channel, dBytes);
          } else {
            this.bytesReceived += dBytes;
            this.messagesReceived += dCount;
          }
          row.count = count;
          row.bytes = bytes;
          row.ns = ns;
          if (typeof kinds === "number") row.kinds |= kinds;
          if (Array.isArray(hist)) for (let i = 0; i < HISTOGRAM_LENGTH; i++) row.hist[i] = Number(hist[i]) || 0;
        }
        return;
      }
      case "big":
        return; // Already counted in `agg`; the timeline resolution of agg flushes is enough.
      case "child": {
        const existing = this.current.get(procKey(ev.child));
        if (existing && existing.instrumented) {
          existing.startMethod ??= ev.startMethod;
          existing.name ??= ev.name;
          if (existing.role === "worker" && ev.role !== "worker") existing.role = ev.role;
        } else {
          this.pendingChildren.set(ev.child, { ppid: ev.pid, startMethod: ev.startMethod, role: ev.role, name: ev.name, t: ev.t });
          if (existing) {
            existing.startMethod ??= ev.startMethod;
            existing.role = ev.role;
            existing.name ??= ev.name;
          }
        }
        return;
      }
      case "reap": {
        const c = this.current.get(procKey(ev.child));
        if (c) {
          c.exitCode = ev.exitCode;
          c.endedAt ??= ev.t;
        }
        return;
      }
      case "shm": {
        this.ingestShm(ev.pid, ev.tid, ev.op, ev.kind, ev.name, ev.bytes, ev.site);
        return;
      }
      case "heap": {
        const p = this.proc(ev.pid, ev.tid);
        const { e: _e, pid: _pid, tid: _tid, ...sample } = ev;
        if (p.heapSkip++ % p.heapStride !== 0) return;
        p.heap.push(sample);
        if (p.heap.length > this.maxHeap) {
          p.heap = p.heap.filter((_, i) => i % 2 === 0);
          p.heapStride *= 2;
        }
        return;
      }
      case "mem": {
        const p = this.proc(ev.pid, ev.tid);
        const sample: MemorySample = {
          t: ev.t, rss: ev.rss, pss: ev.pss, uss: ev.uss, sharedClean: ev.sharedClean, sharedDirty: ev.sharedDirty,
          privateClean: ev.privateClean, privateDirty: ev.privateDirty, swap: ev.swap, pssShmem: ev.pssShmem ?? null,
          anon: ev.anon ?? null, minflt: ev.minflt ?? null, majflt: ev.majflt ?? null,
        };
        updatePeak(p.peak, sample);
        // The high-water mark covers the peaks no sample saw (a buffer freed just before exit).
        if (typeof ev.hwm === "number" && Number.isFinite(ev.hwm) && ev.hwm > (p.peak.rss ?? 0)) p.peak.rss = ev.hwm;
        // Sampler ticks and log lines arrive independently: keep the series in time order.
        let i = p.samples.length;
        while (i > 0 && p.samples[i - 1]!.t > sample.t) i--;
        p.samples.splice(i, 0, sample);
        return;
      }
      case "bye": {
        const p = this.proc(ev.pid, ev.tid);
        p.endedAt = ev.t;
        if (ev.exitCode !== null) p.exitCode = ev.exitCode;
        return;
      }
      case "warn": {
        this.warn(`pid ${ev.pid}: ${ev.msg}`);
        return;
      }
    }
  }

  /** One sampler tick: every live process's sample at (about) the same moment. */
  addMemoryTick(tEpochMs: number, samples: ReadonlyArray<{ pid: number; ppid: number; sample: MemorySample }>): void {
    if (samples.length === 0) return;
    this.version++;
    let rssSum = 0;
    let pssSum = 0;
    let pssAny = false;
    for (const { pid, ppid, sample } of samples) {
      let p = this.current.get(procKey(pid));
      if (!p) {
        p = this.newProc(pid, ppid, tEpochMs, false);
        const told = this.pendingChildren.get(pid);
        p.role = told?.role ?? "subprocess";
        p.startMethod = told?.startMethod ?? null;
        p.name = told?.name ?? null;
        this.current.set(procKey(pid), p);
      }
      rssSum += sample.rss;
      // A process whose PSS is unreadable (denied, zombie) counts with its RSS: an upper bound, never a hole.
      if (sample.pss === null) pssSum += sample.rss;
      else {
        pssSum += sample.pss;
        pssAny = true;
      }
      this.sampleCount++;
      updatePeak(p.peak, sample);
      if (p.sampleSkip++ % p.sampleStride !== 0) continue;
      p.samples.push(sample);
      if (p.samples.length > this.maxSamples) {
        // Halve resolution but keep every local extreme visible through `peak`.
        p.samples = p.samples.filter((_, i) => i % 2 === 0);
        p.sampleStride *= 2;
      }
    }
    this.peakRssSum = Math.max(this.peakRssSum ?? 0, rssSum);
    if (pssAny) this.peakPssSum = Math.max(this.peakPssSum ?? 0, pssSum);
  }

  /** Records a process's exit as seen from outside (the main process, via the OS). */
  setExit(pid: number, exitCode: number | null, tEpochMs: number): void {
    const p = this.current.get(procKey(pid));
    if (!p) return;
    this.version++;
    p.exitCode = exitCode;
    p.endedAt ??= tEpochMs;
  }

  warn(msg: string): void {
    if (this.warnings.length < MAX_WARNINGS && !this.warnings.includes(msg)) this.warnings.push(msg);
  }

  /** Pids of every process incarnation that has not ended, for the sampler and for Stop. */
  livePids(): number[] {
    const out = new Set<number>();
    for (const p of this.current.values()) if (p.endedAt === null && p.tid === undefined) out.add(p.pid);
    return [...out];
  }

  sharedMemoryNames(): string[] {
    return [...this.shm.keys()];
  }

  liveStatus(): { processes: number; bytesCopied: number; messages: number } {
    return { processes: this.all.filter((p) => p.tid === undefined).length, bytesCopied: this.bytesSent, messages: this.messagesSent };
  }

  toProfile(meta: ProfileMeta): Profile {
    const start = this.opts.startedAtMs;
    const rel = (t: number) => Math.max(0, Math.round((t - start) * 10) / 10);
    const processes: ProcessInfo[] = this.all.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      ...(p.tid !== undefined ? { tid: p.tid } : {}),
      role: p.role,
      startMethod: p.startMethod,
      name: p.name,
      startedAt: rel(p.startedAt),
      endedAt: p.endedAt === null ? null : rel(p.endedAt),
      exitCode: p.exitCode,
      instrumented: p.instrumented,
      samples: p.samples.map((s) => ({ ...s, t: rel(s.t) })),
      peak: { ...p.peak },
      heap: p.heap.map((h) => ({ ...h, t: rel(h.t) })),
    }));
    const copies: CopyRecord[] = [];
    for (const p of this.all) {
      for (const r of p.rows.values()) {
        if (r.count === 0 && r.bytes === 0) continue;
        copies.push({
          channel: r.channel,
          direction: r.direction,
          pid: p.pid,
          ...(p.tid !== undefined ? { tid: p.tid } : {}),
          bytes: r.bytes,
          count: r.count,
          pickleNs: r.ns,
          site: r.site >= 0 ? (p.sites.get(r.site) ?? null) : null,
          hist: r.hist.slice(),
          ...(r.kinds ? { kinds: r.kinds } : {}),
        });
      }
    }
    copies.sort((a, b) => b.bytes - a.bytes);
    const sharedMemory: SharedMemoryBlock[] = [...this.shm.values()].map(({ siteRef, ...b }) => ({
      ...b,
      site: b.site ?? this.siteOf(siteRef.pid, siteRef.id),
      attachedPids: b.attachedPids.slice(),
    }));
    const sharedMemoryBytes = sharedMemory.reduce((a, b) => a + b.bytes, 0);
    return {
      schema: PROFILE_SCHEMA,
      tool: { name: "wmprof", version: meta.toolVersion },
      runtime: meta.runtime,
      command: meta.command,
      cwd: meta.cwd,
      python: meta.python,
      exitCode: meta.exitCode,
      startedAt: new Date(start).toISOString(),
      wallMs: Math.round(meta.wallMs),
      complete: meta.complete,
      warnings: [...meta.warnings, ...this.warnings],
      capabilities: { ...meta.capabilities, heap: meta.capabilities.heap || this.all.some((p) => p.heap.length > 0) },
      processes,
      copies,
      sharedMemory,
      timeline: this.timeline.build(),
      totals: {
        bytesSent: this.bytesSent,
        bytesReceived: this.bytesReceived,
        messagesSent: this.messagesSent,
        messagesReceived: this.messagesReceived,
        ...(this.bytesTransferred ? { bytesTransferred: this.bytesTransferred } : {}),
        processes: processes.filter((p) => p.tid === undefined).length,
        peakPssSum: this.peakPssSum,
        peakRssSum: this.peakRssSum,
        sharedMemoryBytes,
        maxCowBrokenBytes: null,
      },
      findings: [],
      stats: { eventLines: this.stats.eventLines, malformedLines: this.stats.malformedLines, samples: this.sampleCount },
    };
  }

  private ingestShm(pid: number, tid: number | undefined, op: string, kind: SharedMemoryBlock["kind"], name: string, bytes: number, site: number): void {
    let b = this.shm.get(name);
    if (op === "create" || !b) {
      if (op !== "create" && b === undefined) {
        // Attach to a block created outside the harness (or whose create line was lost).
        b = { kind, name, bytes, pid, site: null, attachedPids: [], unlinked: false, siteRef: { pid, id: site } };
        this.shm.set(name, b);
      } else if (op === "create") {
        b = { kind, name, bytes, pid, site: this.siteOf(pid, site, tid), attachedPids: [], unlinked: false, siteRef: { pid, id: site } };
        this.shm.set(name, b);
        return;
      }
    }
    if (!b) return;
    if (op === "attach" && pid !== b.pid && !b.attachedPids.includes(pid)) b.attachedPids.push(pid);
    if (op === "unlink") b.unlinked = true;
  }

  private siteOf(pid: number, id: number, tid?: number): Site | null {
    if (id < 0) return null;
    return this.current.get(procKey(pid, tid))?.sites.get(id) ?? null;
  }

  /** The current incarnation for a pid, created on the fly if its hello was lost. */
  private proc(pid: number, tid?: number): ProcState {
    const key = procKey(pid, tid);
    let p = this.current.get(key);
    if (!p) {
      p = this.newProc(pid, 0, this.opts.startedAtMs, true, tid);
      this.current.set(key, p);
    }
    return p;
  }

  private newProc(pid: number, ppid: number, t: number, instrumented: boolean, tid?: number): ProcState {
    const p: ProcState = {
      pid, ppid, ...(tid !== undefined ? { tid } : {}), role: tid !== undefined ? "thread" : "worker", startMethod: null, name: null,
      startedAt: t, endedAt: null, exitCode: null, instrumented, helloSeen: false,
      sites: new Map(), rows: new Map(), samples: [], sampleStride: 1, sampleSkip: 0, peak: {},
      heap: [], heapStride: 1, heapSkip: 0,
    };
    this.all.push(p);
    return p;
  }
}

function procKey(pid: number, tid?: number): string {
  return tid === undefined ? String(pid) : `${pid}:${tid}`;
}

function updatePeak(peak: PeakMemory, s: MemorySample): void {
  for (const k of Object.keys(s) as (keyof MemorySample)[]) {
    if (k === "t") continue;
    const v = s[k];
    if (typeof v === "number" && (peak[k] === undefined || v > peak[k]!)) peak[k] = v;
  }
}
