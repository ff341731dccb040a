/**
 * MemorySampler: samples the memory of every process of a run from the profiler process.
 *
 * Linux (the real thing): every tick reads /proc/<pid>/stat (and statm, status) of each process
 * through file descriptors kept open (a pread at offset 0 regenerates the file: ~5 + ~8 µs, no path
 * lookup, and a descriptor can never silently point at a reused pid), up to `maxOpenFds`; beyond
 * that they are opened and closed per read. /proc/<pid>/smaps_rollup, which walks the page tables
 * (~10 µs per MB of RSS), is read adaptively:
 *   - per process no more often than every `smapsCostFactor` × its last cost (100× → ≤ 1 %),
 *   - all processes together within `smapsBudget` of one core (a token bucket),
 *   - only when something in the process tree changed since that process's last read (fault
 *     counters or RSS of any process, a process appearing or leaving), or after `smapsMaxAgeMs`;
 *     without waiting for the bucket when a process's sharing with its children moved (it forked,
 *     or a child's read shows it copied what they shared).
 * Between reads the last smaps figures are carried forward, never zeroed.
 *
 * Descendants of watched processes are found in /proc/<pid>/task/<tid>/children when the kernel
 * has it (CONFIG_PROC_CHILDREN; those descriptors are kept open too), else by scanning the ppid
 * field of /proc/<pid>/stat.
 *
 * Without smaps_rollup (kernels < 4.14) RSS comes from status (or statm) and capabilities say
 * {pss: false, uss: false}. macOS: `ps`, RSS only. Elsewhere nothing is sampled.
 */
import type { MemorySample, PeakMemory } from "../../protocol/profile";
import type { Role, StartMethod } from "../../protocol/events";
import {
  isDenied, isGone, isOutOfFds, newStatFields, openFilesLimit, nodeProcFs, parsePidList, parseShmMappings, parseStat, parseStatm, parseStatmInto,
  preadAll, readOnce, SM, SMAPS_KEYS, ST, STATE_DEAD, STATE_DEAD_OLD, STATE_ZOMBIE, STATUS_KEYS,
  type ProcFs, type StatFields,
} from "./procfs";
import { parsePsOutput, runPs, type PsRow } from "./ps";
import { monotonicMs } from "../monotonic";

/** What the lead knows about a process from the harness (`hello`), kept with its series. */
export interface WatchInfo {
  ppid?: number;
  role?: Role;
  startMethod?: StartMethod | null;
  name?: string | null;
}

export interface SamplerOptions {
  /** Steady-state tick interval. Default 50 ms. */
  intervalMs?: number;
  /** Start at 10 ms and back off to intervalMs between 1 s and 2 s after start(). Default true. */
  adaptive?: boolean;
  /** Root of the proc file system. Default "/proc"; tests point it at a fake tree. */
  procRoot?: string;
  /** Clock for sample times (epoch ms). Default Date.now. */
  now?: () => number;
  /** Monotonic clock (ms) for scheduling and read costs. Default monotonicMs (tests inject one). */
  clock?: () => number;
  /** Platform to behave as. Default process.platform. */
  platform?: NodeJS.Platform;
  /** Per process, smaps_rollup is read at most every `smapsCostFactor` × its last read cost. Default 100. */
  smapsCostFactor?: number;
  /** Fraction of one core that smaps_rollup reads of all processes together may use. Default 0.005. */
  smapsBudget?: number;
  /**
   * Fraction of one core the rest of a tick (stat + statm of every process, status, discovery) may
   * use: with many processes the tick interval stretches beyond intervalMs to stay within it.
   * Default 0.008. Together with smapsBudget the sampler stays under 2 % of one core.
   */
  tickBudget?: number;
  /** Re-read smaps_rollup at least this often even if nothing changed (budget permitting). Default 30 s. */
  smapsMaxAgeMs?: number;
  /** Find descendants of watched processes in /proc. Default true. */
  discover?: boolean;
  /** Scan /proc/<pid>/maps for /dev/shm mappings (also turned on by trackShm()). Default false. */
  scanShm?: boolean;
  /** Interval of /proc/<pid>/status reads (VmHWM, VmSwap, thread count); RSS comes from statm every tick. Default 500 ms. */
  statusEveryMs?: number;
  /** Interval of the /proc/<pid>/maps scan. Default 1000 ms. */
  shmScanMs?: number;
  /** Samples kept per process before the whole run is decimated 2:1 (peaks stay exact). Default 10,000. */
  maxSamples?: number;
  /**
   * Between smaps_rollup reads, move the carried Private_Dirty / Shared_Dirty / PSS by what the
   * counters read every tick imply (copy-on-write faults, RssAnon changes). Default true; false
   * carries the last figures unchanged.
   */
  estimate?: boolean;
  /** Keep samples in series() (false when the caller stores them from onSample/onTick). Default true. */
  keepSamples?: boolean;
  /** Track at most this many processes at once; further ones are ignored. Default unlimited. */
  maxProcesses?: number;
  /**
   * Descriptors the sampler keeps open at most (stat, statm, status and children files of every
   * process); beyond it files are opened and closed for each read. Default: a quarter of this
   * process's open-files limit, 64–4096.
   */
  maxOpenFds?: number;
  /** Page size for statm. Default: derived from /proc/self, else 4096. */
  pageSize?: number;
  /** File-system calls (tests). */
  fs?: ProcFs;
  /** `ps -A -o pid=,ppid=,rss=` runner (macOS; tests). */
  ps?: () => string;
}

export type SmapsState = "pending" | "ok" | "denied" | "unsupported";

export interface ProcessSeries {
  pid: number;
  /** Parent pid when first seen (later re-parenting to init is ignored). */
  ppid: number;
  /** /proc/<pid>/stat starttime (clock ticks after boot): with pid, the identity of this incarnation. Null without /proc. */
  startTime: number | null;
  /** Epoch ms when the sampler first saw the process. */
  firstSeen: number;
  /** Epoch ms of the first tick that found it gone or a zombie; null while alive. */
  exitedAt: number | null;
  /** watch()ed (reported by the harness) rather than only discovered as a descendant. */
  watched: boolean;
  info: WatchInfo;
  samples: MemorySample[];
  /** Samples taken, including those dropped by decimation or not kept (keepSamples: false). */
  sampleCount: number;
  /** Max of each field over every sample taken (also those dropped by decimation); rss also ≥ VmHWM. */
  peak: PeakMemory;
  /** Whether PSS/USS figures exist for this process and, if not, why. */
  smaps: SmapsState;
}

export interface MemoryCapabilities {
  platform: string;
  pss: boolean;
  uss: boolean;
  rss: boolean;
  /** Where the figures come from. */
  source: "smaps_rollup" | "status" | "ps" | "none";
}

export interface SamplerStats {
  ticks: number;
  smapsReads: number;
  /** CPU time (user + system) the sampler spent in its ticks. */
  cpuMicros: number;
  /** Wall time spent inside smaps_rollup reads (kernel page-table walks). */
  smapsMicros: number;
  discoveries: number;
  /** Processes currently tracked. */
  live: number;
  /** Processes ever tracked. */
  processes: number;
  /** Unexpected errors swallowed by the timer (never thrown at the host). */
  errors: number;
  /** Processes not tracked because of maxProcesses. */
  refused: number;
  /** The timer's current interval (adaptive, stretched by tickBudget); 0 before start(). */
  intervalMs: number;
}

export interface SampleOnceOptions {
  /** Read smaps_rollup of every process now, ignoring intervals and budget (final sample, tests). */
  full?: boolean;
}

type SampleListener = (pid: number, ppid: number, sample: MemorySample) => void;
export interface TickSample {
  pid: number;
  ppid: number;
  sample: MemorySample;
}
type TickListener = (tEpochMs: number, samples: TickSample[]) => void;
type SeriesListener = (series: ProcessSeries) => void;

const NO_FD = -1;
const MiB = 1024 * 1024;
/** A wake-up this close to a tick's due time is that tick, fired early (see loop()). */
const EARLY_TICK_MS = 10;
/**
 * A process whose memory has not moved (no fault, same resident pages) for QUIET_TICKS ticks is
 * read every QUIET_EVERY-th tick only (staggered by pid; its figures are carried meanwhile, and
 * are exact as long as it stays quiet); its first change brings it back to every tick. An idle
 * pool of 32 workers then costs a quarter of the /proc reads. Peaks in between are not lost:
 * VmHWM (status) is a high-water mark.
 */
const QUIET_TICKS = 4;
const QUIET_EVERY = 4;
const SAMPLE_FIELDS = [
  "rss", "pss", "uss", "sharedClean", "sharedDirty", "privateClean", "privateDirty", "swap", "pssShmem",
  "anon", "minflt", "majflt",
] as const;

/**
 * A proc file of one process, read through a descriptor kept open while the sampler's cap allows
 * (a pread at offset 0 regenerates it: no path lookup, no open/close per read), else opened and
 * closed for each read.
 */
class ProcFile {
  fd = NO_FD;
  constructor(readonly path: string) {}
}

/** Per live process state. The public ProcessSeries is `series`. */
class Proc {
  readonly series: ProcessSeries;
  readonly dir: string;
  readonly stat: ProcFile;
  readonly statm: ProcFile;
  readonly status: ProcFile;
  /** /proc/<pid>/task/<tid>/children by tid, for discovery. */
  readonly children = new Map<string, ProcFile>();
  /** statm / status unreadable for this process (old kernel, fake tree, permissions). */
  noStatm = false;
  noStatus = false;
  statusAt = -Infinity;
  // last fast read (-1: not available)
  minflt = -1;
  majflt = -1;
  rssPages = -1;
  rss = -1;
  anon = -1;
  hwm = -1;
  vmSwap = -1;
  changedThisTick = false;
  /** Ticks in a row whose stat showed no fault and no change of resident pages. */
  quietTicks = 0;
  threads = 1;
  /** Tids whose children files discovery reads: the pid alone while single-threaded. */
  tids: string[];
  tidsThreads = 1;
  // smaps
  readonly smaps = new Float64Array(SMAPS_KEYS.names.length).fill(-1);
  smapsAt = -Infinity;
  smapsCostMs = 0;
  smapsEpoch = -1;
  rssAtSmaps = 0;
  anonAtSmaps = -1;
  /** Tick number of the last successful smaps_rollup read. */
  smapsTick = -1;
  /** The first tick that sampled it (reads of other processes in earlier ticks came before it was tracked). */
  trackedTick = 0;
  /**
   * Since its last smaps read a child appeared (its private pages became shared) or a child's read
   * showed it copied ≥ 16 MiB (pages this process shared with it may be private to it again, and
   * the PSS credited for them may have landed on siblings instead): re-read it without waiting.
   */
  sharingMoved = false;
  /** The tick in which the quiet rule last skipped its reads (its figures carried). */
  skippedTick = -1;
  /**
   * Bytes of minor faults since the last smaps read not explained by RSS moving in the same tick:
   * copy-on-write breaks, or pages allocated and freed again within the tick (allocation churn).
   */
  cowFaults = 0;
  faultsPrev = -1;
  /** Share of cowFaults that turned out to be real copies at the last smaps reads (1 until measured). */
  cowRatio = 1;
  privateDirtyAtSmaps = -1;
  /** This tick's estimate: bytes copied since the last read, and the PSS the other sharers gained. */
  estCow = 0;
  estShare = 0;
  /** PSS credited to the parent so far for this process's copies since its last read. */
  givenToParent = 0;
  /** PSS this process gained from its children's copies since its own last read. */
  shareGain = 0;
  /** Scheduling key for this tick's smaps reads (lower first). */
  prio = 0;
  suspect = false;
  /** Tick numbers of the kept samples (for run-wide decimation). */
  readonly sampleTicks: number[] = [];

  constructor(series: ProcessSeries, root: string) {
    this.series = series;
    this.dir = `${root}/${series.pid}`;
    this.stat = new ProcFile(`${this.dir}/stat`);
    this.statm = new ProcFile(`${this.dir}/statm`);
    this.status = new ProcFile(`${this.dir}/status`);
    this.tids = [String(series.pid)];
  }

  *files(): Iterable<ProcFile> {
    yield this.stat;
    yield this.statm;
    yield this.status;
    yield* this.children.values();
  }
}

export class MemorySampler {
  private readonly intervalMs: number;
  private readonly adaptive: boolean;
  private readonly root: string;
  private readonly now: () => number;
  private readonly clock: () => number;
  private readonly platform: NodeJS.Platform;
  private readonly costFactor: number;
  private readonly budget: number;
  private readonly tickBudget: number;
  /** Moving averages of a tick's CPU time without smaps reads, and of the CPU between ticks (µs). */
  private tickCostMicros = 0;
  private wakeCostMicros = 0;
  private lastLoopCpu: number | null = null;
  private lastTickEndCpu = 0;
  private inTick = false;
  /** A process started being tracked during this tick (its descriptors were opened: not a typical tick). */
  private trackedThisTick = false;
  private readonly maxAgeMs: number;
  private readonly discoverOn: boolean;
  private readonly shmScanMs: number;
  private readonly statusEveryMs: number;
  private readonly maxSamples: number;
  private readonly keepSamples: boolean;
  private readonly estimate: boolean;
  private readonly maxProcesses: number;
  private maxOpenFds: number;
  private openFds = 0;
  private readonly fs: ProcFs;
  private readonly ps: () => string;
  private readonly backend: "proc" | "ps" | "none";
  private pageSize: number | null;

  private readonly live = new Map<number, Proc>();
  private readonly all: ProcessSeries[] = [];
  /** Every Proc ever created, same order as `all` (decimation touches exited ones too). */
  private readonly allProcs: Proc[] = [];
  private readonly sampleListeners: SampleListener[] = [];
  private readonly tickListeners: TickListener[] = [];
  private readonly processListeners: SeriesListener[] = [];
  private readonly exitListeners: SeriesListener[] = [];

  // scratch, reused every read
  private readonly buf = Buffer.allocUnsafe(16384);
  private readonly stat: StatFields = newStatFields();
  private readonly statScratch: StatFields = newStatFields();
  private readonly statm = { residentPages: 0, sharedPages: 0 };
  private readonly statusVals = new Float64Array(STATUS_KEYS.names.length);
  private readonly smapsVals = new Float64Array(SMAPS_KEYS.names.length);
  private readonly candidates: Proc[] = [];
  private readonly found: number[] = [];

  // scheduling
  private timer: NodeJS.Timeout | null = null;
  /** Set by a smaps read in this tick that found sharers gone (see tick()). */
  private sharersLeft = false;
  private beside: { fn: () => void; everyMs: number; ownWakeAfterMs: number; lastPerf: number } | null = null;
  private startedPerf: number | null = null;
  private nextDue = 0;
  private tickNo = 0;
  private keepEvery = 1;
  private lastDiscoverPerf = -Infinity;
  private lastShmScanPerf = -Infinity;
  private tokensMs: number;
  private lastRefillPerf: number | null = null;
  private treeEpoch = 0;
  private smapsSupported: boolean | null = null;
  private smapsEverOk = false;
  private childrenMode: "children" | "scan" | null = null;
  private readonly scanCache = new Map<number, number>(); // pid -> ppid of processes outside the tree
  private scanCount = 0;
  private lastPsPerf = -Infinity;
  private scanShm: boolean;
  private readonly shm = new Map<string, Set<number>>();

  // live peak of the tick-aligned sums
  private peakPss: number | null = null;
  private peakRss: number | null = null;

  private readonly st = { ticks: 0, smapsReads: 0, cpuMicros: 0, smapsMicros: 0, discoveries: 0, errors: 0, refused: 0, intervalMs: 0 };

  constructor(options: SamplerOptions = {}) {
    this.intervalMs = Math.max(1, options.intervalMs ?? 50);
    this.adaptive = options.adaptive ?? true;
    this.root = (options.procRoot ?? "/proc").replace(/\/+$/, "");
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? monotonicMs;
    this.platform = options.platform ?? process.platform;
    this.costFactor = options.smapsCostFactor ?? 100;
    this.budget = options.smapsBudget ?? 0.005;
    this.tickBudget = options.tickBudget ?? 0.008;
    this.maxAgeMs = options.smapsMaxAgeMs ?? 30_000;
    this.discoverOn = options.discover ?? true;
    this.scanShm = options.scanShm ?? false;
    this.shmScanMs = options.shmScanMs ?? 1000;
    this.statusEveryMs = options.statusEveryMs ?? 500;
    this.maxSamples = Math.max(16, options.maxSamples ?? 10_000);
    this.keepSamples = options.keepSamples ?? true;
    this.estimate = options.estimate ?? true;
    this.maxProcesses = options.maxProcesses ?? Infinity;
    this.maxOpenFds = options.maxOpenFds ?? Math.min(4096, Math.max(64, Math.floor((openFilesLimit() ?? 1024) / 4)));
    this.fs = options.fs ?? nodeProcFs;
    this.ps = options.ps ?? runPs;
    this.pageSize = options.pageSize ?? null;
    this.backend = this.platform === "linux" ? "proc" : this.platform === "darwin" ? "ps" : "none";
    this.tokensMs = this.burstMs();
  }

  // ---- public API ------------------------------------------------------------------------------

  /**
   * Track a process (and, with discovery, its descendants). Call it when the harness reports the
   * process (`hello`). A second call for the same pid updates `info`, or starts a new series if the
   * pid now belongs to a different process. Returns false if the process is already gone.
   */
  watch(pid: number, info?: WatchInfo): boolean {
    const existing = this.live.get(pid);
    if (existing) {
      if (this.backend === "proc") {
        const st = this.readStatOf(existing);
        if (st && st.starttime !== existing.series.startTime) {
          this.exit(existing, this.now());
          return this.track(pid, info?.ppid ?? st.ppid, true, info ?? {}) !== null;
        }
      }
      existing.series.watched = true;
      if (info) existing.series.info = { ...existing.series.info, ...info };
      return true;
    }
    return this.track(pid, info?.ppid ?? -1, true, info ?? {}) !== null;
  }

  /** The process with this pid is tracked now (its identity is checked on every tick). */
  tracking(pid: number): boolean {
    return this.live.has(pid);
  }

  /** Count /dev/shm/<name> mappings per process at a low rate (see shmAttachments()). */
  trackShm(name: string): void {
    this.scanShm = true;
    if (!this.shm.has(name)) this.shm.set(name, new Set());
  }

  /** Which pids were seen mapping each /dev/shm object (POSIX shared memory, SharedMemory blocks). */
  shmAttachments(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [name, pids] of this.shm) out.set(name, [...pids].sort((a, b) => a - b));
    return out;
  }

  start(): void {
    if (this.timer) return;
    this.startedPerf = this.clock();
    this.nextDue = this.startedPerf;
    this.loop();
  }

  /** Stop the timer and release file descriptors. sampleOnce() still works afterwards. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.live.values()) this.closeFds(p);
  }

  /** Take one sample of every tracked process now, synchronously. */
  sampleOnce(options: SampleOnceOptions = {}): void {
    this.timedTick(options.full === true, cpuMicrosNow());
  }

  /**
   * Every process seen, in the order first seen (a reused pid gets a second entry). Descendants
   * that vanished before their first sample (e.g. a shell that exec'd or exited at once) are left out.
   */
  series(): ProcessSeries[] {
    return this.all.filter((s) => s.watched || s.sampleCount > 0);
  }

  /** The latest series of each pid. */
  seriesByPid(): Map<number, ProcessSeries> {
    const m = new Map<number, ProcessSeries>();
    for (const s of this.series()) m.set(s.pid, s);
    return m;
  }

  onSample(listener: SampleListener): () => void {
    return addListener(this.sampleListeners, listener);
  }

  /** All samples of one tick at once (same t), after the per-sample listeners. */
  onTick(listener: TickListener): () => void {
    return addListener(this.tickListeners, listener);
  }

  /**
   * Runs `fn` from the sampler's timer, after a tick, about every `everyMs` (at every tick when
   * ticks are further apart, as when the governor stretches the interval with many processes).
   * Only when ticks are more than `ownWakeAfterMs` apart (a long `intervalMs`) does it get
   * wake-ups of its own, every `everyMs`, in between. The session's log poll rides on the
   * sampler's wake-ups this way instead of a timer of its own: on a VM each wake-up of an idle
   * node costs ~0.1 ms of CPU. fn's CPU time is kept out of what the governor charges to sampling.
   */
  alongside(fn: () => void, everyMs: number, ownWakeAfterMs = 250): void {
    this.beside = { fn, everyMs, ownWakeAfterMs, lastPerf: -Infinity };
  }

  /** A process started being tracked (watched or discovered). */
  onProcess(listener: SeriesListener): () => void {
    return addListener(this.processListeners, listener);
  }

  /** A tracked process was found gone (or a zombie). */
  onExit(listener: SeriesListener): () => void {
    return addListener(this.exitListeners, listener);
  }

  capabilities(): MemoryCapabilities {
    if (this.backend === "ps") return { platform: this.platform, pss: false, uss: false, rss: true, source: "ps" };
    if (this.backend === "none") return { platform: this.platform, pss: false, uss: false, rss: false, source: "none" };
    let pss = this.smapsEverOk;
    if (!pss && this.smapsSupported === null) pss = this.probeSmaps();
    return { platform: this.platform, pss, uss: pss, rss: true, source: pss ? "smaps_rollup" : "status" };
  }

  stats(): SamplerStats {
    return { ...this.st, live: this.live.size, processes: this.all.length };
  }

  /** Max over ticks of Σ PSS (RSS where a process has no PSS yet) and Σ RSS of the processes alive at that tick. */
  peakSums(): { pss: number | null; rss: number | null } {
    return { pss: this.peakPss, rss: this.peakRss };
  }

  // ---- scheduling ------------------------------------------------------------------------------

  private currentInterval(perfNow: number): number {
    if (!this.adaptive || this.startedPerf === null) return this.intervalMs;
    return adaptiveInterval(perfNow - this.startedPerf, this.intervalMs);
  }

  /** The interval the timer uses now: the adaptive one, stretched to keep ticks within tickBudget. */
  private effectiveInterval(perfNow: number): number {
    const governed = this.tickBudget > 0 ? (this.tickCostMicros + this.wakeCostMicros) / 1000 / this.tickBudget : 0;
    return Math.max(this.currentInterval(perfNow), governed);
  }

  /** One tick, its CPU time counted from `cpu0` on (the caller's reading: one getrusage less); lastTickEndCpu is the clock at its end. */
  private timedTick(full: boolean, cpu0: number): void {
    const smaps0 = this.st.smapsMicros;
    this.trackedThisTick = false;
    this.inTick = true;
    try {
      this.tick(full);
    } finally {
      this.inTick = false;
      this.lastTickEndCpu = cpuMicrosNow();
      const micros = this.lastTickEndCpu - cpu0;
      this.st.cpuMicros += micros;
      if (!full && !this.trackedThisTick) {
        const cost = Math.max(0, micros - (this.st.smapsMicros - smaps0));
        this.tickCostMicros = this.tickCostMicros === 0 ? cost : 0.7 * this.tickCostMicros + 0.3 * cost;
      }
    }
  }

  private loop = (): void => {
    const b = this.beside;
    const woke = this.clock();
    // Woken for `alongside` alone: ticks are further apart than its period. A tick's timer can
    // fire a few ms early (libuv dates it from the loop's cached time, before the last tick's
    // work); within EARLY_TICK_MS of its due time a wake-up is that tick.
    if (b && this.nextDue - woke > EARLY_TICK_MS) {
      this.runBeside(b, woke);
      this.schedule(this.clock());
      return;
    }
    const c0 = cpuMicrosNow();
    const outside = this.lastLoopCpu === null ? null : Math.max(0, c0 - this.lastLoopCpu);
    try {
      this.timedTick(false, c0);
    } catch {
      this.st.errors++;
    }
    this.lastLoopCpu = this.lastTickEndCpu;
    // CPU charged between two ticks: the timer wake-up (~150–250 µs on this VM) and, it seems,
    // the kernel finishing the tick's reads (about as much again as the tick itself). Capped
    // by what the tick did, not by the interval: the host's own work lands here too and grows
    // with the interval, so an uncapped measure would stretch a busy host's interval without end.
    if (outside !== null && !this.trackedThisTick) {
      const capped = Math.min(outside, 300 + this.tickCostMicros);
      this.wakeCostMicros = this.wakeCostMicros === 0 ? capped : 0.7 * this.wakeCostMicros + 0.3 * capped;
    }
    const perfNow = this.clock();
    const interval = this.effectiveInterval(perfNow);
    // within half a tick of its period: at 50 ms ticks and 100 ms, every other tick
    if (b && perfNow - b.lastPerf >= b.everyMs - interval / 2) this.runBeside(b, perfNow);
    this.st.intervalMs = interval;
    this.nextDue += interval;
    if (this.nextDue < perfNow) this.nextDue = perfNow + interval; // fell behind: skip, don't burst
    this.schedule(perfNow);
  };

  /** The next wake-up: the next tick, or `alongside`'s turn if it has wake-ups of its own and that comes first. */
  private schedule(perfNow: number): void {
    const b = this.beside;
    const own = b !== null && this.nextDue - perfNow > b.ownWakeAfterMs;
    const due = own ? Math.min(this.nextDue, b.lastPerf + b.everyMs) : this.nextDue;
    this.timer = setTimeout(this.loop, Math.max(0, due - perfNow));
    this.timer.unref();
  }

  private runBeside(b: NonNullable<MemorySampler["beside"]>, perfNow: number): void {
    b.lastPerf = perfNow;
    try {
      b.fn();
    } catch {
      this.st.errors++;
    }
    this.lastLoopCpu = cpuMicrosNow(); // its CPU time is not the sampler's
  }

  private burstMs(): number {
    return this.budget <= 0 ? 0 : Math.max(20, this.budget * 5000);
  }

  // ---- one tick --------------------------------------------------------------------------------

  private tick(full: boolean): void {
    const t = this.now();
    const perfNow = this.clock();
    this.st.ticks++;
    this.tickNo++;
    if (this.backend === "ps") return this.tickPs(t, perfNow);
    if (this.backend === "none") return;

    const interval = this.currentInterval(perfNow);
    if (this.discoverOn && (full || perfNow - this.lastDiscoverPerf >= this.discoverEveryMs(perfNow))) {
      this.lastDiscoverPerf = perfNow;
      this.guard(() => this.discover());
    }

    // fast reads
    let changed = false;
    for (const p of this.live.values()) {
      if (!full && p.quietTicks >= QUIET_TICKS && (this.tickNo + p.series.pid) % QUIET_EVERY !== 0) {
        p.changedThisTick = false;
        p.skippedTick = this.tickNo;
        continue;
      }
      let alive: boolean;
      try {
        alive = this.readFast(p, t, perfNow, full);
      } catch {
        this.st.errors++; // unexpected (EMFILE, EIO, ...): skip this process this tick
        p.rss = -1;
        continue;
      }
      if (!alive) changed = true; // exited (removed from `live` by exit())
      else if (p.changedThisTick) changed = true;
    }
    if (changed) this.treeEpoch++;

    if (this.smapsSupported !== false) {
      this.sharersLeft = false;
      this.guard(() => this.readSmapsDue(perfNow, interval, full));
      // A process's PSS rose beyond its RSS: pages it shared lost sharers, most likely a process
      // that exited. One skipped as quiet this tick may be that process: sampled with its carried
      // figures it would count those pages twice in this tick's Σ PSS. Read them all now.
      if (this.sharersLeft) this.guard(() => this.readSkipped(t, perfNow));
    }
    if (this.scanShm && (full || perfNow - this.lastShmScanPerf >= this.shmScanMs)) {
      this.lastShmScanPerf = perfNow;
      this.guard(() => this.scanShmMaps());
    }
    this.emitSamples(t);
  }

  private readSkipped(t: number, perfNow: number): void {
    for (const p of this.live.values()) {
      if (p.skippedTick !== this.tickNo) continue;
      p.skippedTick = -1;
      if (!this.readFast(p, t, perfNow, false) || p.changedThisTick) this.treeEpoch++;
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.st.errors++;
    }
  }

  private discoverEveryMs(perfNow: number): number {
    // frequent while the run starts (pools fork their workers early), then every 250 ms
    const early = this.startedPerf !== null && perfNow - this.startedPerf < 2000;
    return Math.max(this.intervalMs, early ? 50 : 250);
  }

  /** stat + statm (+ status every statusEveryMs) of one process. False if it is gone (exit() was called). */
  private readFast(p: Proc, t: number, perfNow: number, full: boolean): boolean {
    const s = p.series;
    const st = this.stat;
    try {
      const n = this.readFile(p.stat);
      if (!parseStat(this.buf, n, st)) throw Object.assign(new Error("unparsable stat"), { code: "ESRCH" });
    } catch (err) {
      if (isGone(err) || isDenied(err)) this.exit(p, t);
      else throw err;
      return false;
    }
    if (st.starttime !== s.startTime) {
      // the pid now belongs to another process (fd reopened after stop(), or a fake tree)
      const ppid = st.ppid;
      this.exit(p, t);
      if (this.live.has(ppid)) this.track(s.pid, ppid, false, {});
      return false;
    }
    if (st.state === STATE_ZOMBIE || st.state === STATE_DEAD || st.state === STATE_DEAD_OLD) {
      this.exit(p, t);
      return false;
    }
    const changed = st.minflt !== p.minflt || st.majflt !== p.majflt || st.rssPages !== p.rssPages;
    p.changedThisTick = changed;
    p.quietTicks = changed ? 0 : p.quietTicks + 1;
    p.minflt = st.minflt;
    p.majflt = st.majflt;
    p.rssPages = st.rssPages;

    // RSS and RssAnon every tick from statm (~1.5 µs: resident and file+shmem pages, the very
    // counters status prints as VmRSS and RssFile + RssShmem); status itself (~8 µs to generate)
    // only every statusEveryMs, for VmHWM (a high-water mark: nothing is lost between reads),
    // VmSwap and Threads.
    let rss = -1;
    let anon = -1;
    if (!changed && !full && p.rss > 0 && p.anon >= 0) {
      // no fault and the same resident page count as last tick: statm would say the same
      rss = p.rss;
      anon = p.anon;
    } else if (!p.noStatm) {
      try {
        const n = this.readFile(p.statm);
        if (parseStatmInto(this.buf, n, this.statm)) {
          const ps = this.getPageSize();
          rss = this.statm.residentPages * ps;
          anon = (this.statm.residentPages - this.statm.sharedPages) * ps;
        } else p.noStatm = true;
      } catch (err) {
        if (isGone(err) || isDenied(err)) p.noStatm = true;
        else throw err;
      }
    }
    if (!p.noStatus && (full || p.noStatm || perfNow - p.statusAt >= this.statusEveryMs)) {
      const v = this.statusVals;
      let ok = true;
      try {
        const n = this.readFile(p.status);
        STATUS_KEYS.parse(this.buf, n, v);
      } catch (err) {
        if (!isGone(err) && !isDenied(err)) throw err;
        p.noStatus = true;
        ok = false;
      }
      p.statusAt = perfNow;
      if (ok) {
        p.hwm = v[ST.VmHWM] as number;
        p.vmSwap = v[ST.VmSwap] as number;
        const threads = v[ST.Threads] as number;
        p.threads = threads > 0 ? threads : 1;
        if (p.noStatm) {
          // no VmRSS in a readable status: the process released its address space (exiting)
          rss = v[ST.VmRSS] as number;
          anon = v[ST.RssAnon] as number;
        }
      }
    }
    if (rss < 0 && p.noStatm && p.noStatus && st.rssPages > 0) rss = st.rssPages * this.getPageSize();
    // Minor faults that did not add (or replace freed) resident pages in this tick: copy-on-write
    // breaks, unless the process allocated and freed that much within the tick; cowRatio, measured
    // at each smaps read, tells the two apart for this process.
    if (p.faultsPrev >= 0 && rss > 0 && p.rss > 0) {
      const faults = Math.max(0, st.minflt - p.faultsPrev) * this.getPageSize();
      p.cowFaults += Math.max(0, faults - Math.abs(rss - p.rss));
    }
    p.faultsPrev = st.minflt;
    // rss 0 (statm of a process that released its memory while exiting): no sample this tick
    // rather than a bogus zero; it is a zombie by the next one.
    p.rss = rss;
    p.anon = anon;
    return true;
  }

  private readSmapsDue(perfNow: number, interval: number, full: boolean): void {
    // refill the token bucket
    if (this.lastRefillPerf !== null) {
      this.tokensMs = Math.min(this.burstMs(), this.tokensMs + (perfNow - this.lastRefillPerf) * this.budget);
    }
    this.lastRefillPerf = perfNow;

    const c = this.candidates;
    c.length = 0;
    const floor = Math.max(interval, 20);
    for (const p of this.live.values()) {
      if (p.series.smaps === "denied" || p.series.smaps === "unsupported" || p.rss <= 0) continue;
      const never = p.smapsAt === -Infinity;
      // RSS moved a lot since the figures we carry were read: refresh them first
      const moved = Math.abs(p.rss - p.rssAtSmaps) > Math.max(8 * MiB, 0.1 * p.rssAtSmaps);
      p.suspect = this.cowSuspect(p);
      p.prio = never ? -Infinity : p.sharingMoved || p.suspect ? -1e15 + p.smapsAt : moved ? p.smapsAt - 1e12 : p.smapsAt;
      if (full || never) {
        c.push(p);
        continue;
      }
      const age = perfNow - p.smapsAt;
      if (age < Math.max(floor, this.costFactor * p.smapsCostMs)) continue;
      if (!moved && !p.sharingMoved && !p.suspect && p.smapsEpoch === this.treeEpoch && age < this.maxAgeMs) continue; // nothing changed
      c.push(p);
    }
    if (c.length === 0) return;
    if (!full && c.length > 1) c.sort((a, b) => a.prio - b.prio);
    for (const p of c) {
      // first reads, a parent whose sharing with its children moved (it forked, or they copied
      // what they shared: without this a parent's figures stayed stale once its tree went quiet)
      // and a process that seems to be copying a lot of inherited memory (confirm it, and learn
      // how far its fault counts can be trusted) do not wait for the bucket; they are charged to
      // it all the same, and the 100 × cost rule above still holds
      const urgent = p.smapsAt === -Infinity || p.sharingMoved || p.suspect;
      if (!full && !urgent && this.tokensMs <= 0) continue;
      const cost = this.readSmaps(p, perfNow);
      if (this.smapsSupported === false) break;
      if (!full) this.tokensMs -= cost;
    }
    c.length = 0;
  }

  private estimating(p: Proc): boolean {
    return this.estimate && p.series.smaps === "ok" && p.smapsTick !== this.tickNo && p.anonAtSmaps >= 0;
  }

  /**
   * Copy-on-write estimates of this tick, before any sample is made. A page shared by n
   * processes counts 1/n in each one's PSS; when one of them copies it, the copy counts 1 for it,
   * and the remaining n − 1 sharers' shares of the original grow by 1/n in all. That part is
   * credited to the copier's parent (the one sharer certain to hold the page), so Σ PSS stays
   * right between reads; the parent's next read replaces the credit with real figures.
   */
  private updateEstimates(): void {
    for (const p of this.live.values()) {
      this.estimateCow(p);
      const delta = p.estShare - p.givenToParent;
      if (delta !== 0) {
        p.givenToParent = p.estShare;
        const parent = this.live.get(p.series.ppid);
        if (parent && parent !== p && parent.series.smaps === "ok") parent.shareGain += delta;
      }
    }
  }

  /**
   * A fork child's first read: its share of the anonymous pages it shares (Pss_Anon beyond its
   * private dirty pages) was its parent's until the fork. Taken from the parent's carried PSS
   * until the parent's own re-read, so that Σ PSS does not count those pages twice meanwhile.
   */
  private debitForkParent(p: Proc, vals: Float64Array): void {
    const parent = this.live.get(p.series.ppid);
    const pssAnon = vals[SM.PssAnon] as number;
    if (!parent || parent === p || parent.series.smaps !== "ok" || parent.smapsTick >= p.trackedTick || pssAnon < 0) return;
    parent.shareGain -= Math.max(0, pssAnon - Math.max(0, vals[SM.PrivateDirty] as number));
  }

  /** p's copies since its last read (estCow) and the PSS the other sharers gained by them (estShare). */
  private estimateCow(p: Proc): void {
    p.estCow = this.estimating(p) ? Math.min(p.cowRatio * p.cowFaults, Math.max(0, p.smaps[SM.SharedDirty] as number)) : 0;
    p.estShare = p.estCow > 0 ? p.estCow / sharing(p.smaps) : 0;
  }

  /** minflt from /proc/<pid>/stat now, -1 if unavailable. */
  private readMinflt(p: Proc): number {
    try {
      const n = this.readFile(p.stat);
      const st = this.statScratch;
      return parseStat(this.buf, n, st) ? st.minflt : -1;
    } catch {
      return -1;
    }
  }

  /** The fault-based estimate says this process copied much of what it shares since its last read. */
  private cowSuspect(p: Proc): boolean {
    if (!this.estimate || p.series.smaps !== "ok") return false;
    const shared = p.smaps[SM.SharedDirty] as number;
    const cow = p.cowRatio * p.cowFaults;
    return shared > 0 && cow >= Math.max(16 * MiB, 0.25 * shared);
  }

  /** Read smaps_rollup of one process. Returns the time it took (ms). */
  private readSmaps(p: Proc, perfNow: number): number {
    // the fault count right before and after the walk: faults from this tick's stat read up to
    // the walk are in the figures read, so the next tick must not count them again
    const before = this.estimate ? this.readMinflt(p) : -1;
    const t0 = this.clock();
    let n: number;
    try {
      n = readOnce(this.fs, `${p.dir}/smaps_rollup`, this.buf);
    } catch (err) {
      const dt = this.clock() - t0;
      if (isDenied(err)) p.series.smaps = "denied";
      else if (isGone(err)) {
        // gone, a zombie, or a kernel without smaps_rollup: tell them apart with a stat read
        const st = this.readStatOf(p);
        if (st && st.state !== STATE_ZOMBIE && st.state !== STATE_DEAD && (err as NodeJS.ErrnoException).code === "ENOENT") {
          if (!this.smapsEverOk) this.smapsSupported = false;
          p.series.smaps = "unsupported";
        }
      } else throw err;
      p.smapsAt = perfNow;
      p.smapsEpoch = this.treeEpoch;
      return dt;
    }
    const dt = this.clock() - t0;
    const vals = this.smapsVals;
    SMAPS_KEYS.parse(this.buf, n, vals);
    this.st.smapsReads++;
    this.st.smapsMicros += dt * 1000;
    p.smapsAt = perfNow;
    p.smapsCostMs = dt;
    p.smapsEpoch = this.treeEpoch;
    if ((vals[SM.Pss] as number) < 0) return dt; // unrecognisable content: keep what we had
    if (p.series.smaps !== "ok" && this.estimate) this.debitForkParent(p, vals);
    const pssOld = p.smaps[SM.Pss] as number;
    if (pssOld >= 0 && p.rssAtSmaps > 0 && (vals[SM.Pss] as number) - pssOld - (p.rss - p.rssAtSmaps) > Math.max(4 * MiB, 0.02 * pssOld)) {
      this.sharersLeft = true;
    }
    p.smaps.set(vals);
    p.sharingMoved = false;
    p.smapsTick = this.tickNo;
    const pdNew = vals[SM.PrivateDirty] as number;
    if (p.privateDirtyAtSmaps >= 0 && p.anonAtSmaps >= 0 && p.anon >= 0 && pdNew >= 0) {
      // pages that turned private since the last read, beyond its own allocations: copies
      const copied = pdNew - p.privateDirtyAtSmaps - (p.anon - p.anonAtSmaps);
      // calibrate: how much of the fault-based estimate was real copying?
      if (p.cowFaults >= 4 * MiB) p.cowRatio = Math.min(1, Math.max(0, copied / p.cowFaults));
      // copies its own faults account for (a parent's pages also turn private when its children copy)
      const parent = Math.min(copied, p.cowFaults) >= 16 * MiB ? this.live.get(p.series.ppid) : undefined;
      if (parent && parent !== p) parent.sharingMoved = true;
    }
    p.privateDirtyAtSmaps = pdNew;
    p.cowFaults = 0;
    p.givenToParent = 0; // its copies so far are in this read's figures…
    p.shareGain = 0; // …and so are the shares this process gained from its children's copies,
    for (const c of this.live.values()) {
      // including those made since the last tick's estimates: credit the children's later ones only
      if (c.series.ppid === p.series.pid && c !== p) {
        this.estimateCow(c);
        c.givenToParent = c.estShare;
      }
    }
    const after = before >= 0 ? this.readMinflt(p) : -1;
    if (before >= 0 && after >= before) p.faultsPrev = Math.round((before + after) / 2);
    p.anonAtSmaps = p.anon;
    p.rssAtSmaps = p.rss;
    p.series.smaps = "ok";
    this.smapsEverOk = true;
    this.smapsSupported = true;
    return dt;
  }

  private emitSamples(t: number): void {
    let sumPss = 0;
    let sumRss = 0;
    let anyPss = false;
    let any = false;
    let decimate = false;
    const record = this.tickNo % this.keepEvery === 0;
    const batch: TickSample[] | null = this.tickListeners.length > 0 ? [] : null;
    if (this.estimate) this.updateEstimates();
    for (const p of this.live.values()) {
      if (p.rss <= 0) continue;
      const sample = this.makeSample(p, t);
      const s = p.series;
      updatePeak(s.peak, sample);
      s.sampleCount++;
      if (this.keepSamples && (record || s.samples.length === 0)) {
        s.samples.push(sample);
        p.sampleTicks.push(this.tickNo);
        if (s.samples.length > this.maxSamples) decimate = true;
      }
      any = true;
      sumRss += sample.rss;
      if (sample.pss !== null) {
        anyPss = true;
        sumPss += sample.pss;
      } else sumPss += sample.rss;
      for (const l of this.sampleListeners) l(s.pid, s.ppid, sample);
      batch?.push({ pid: s.pid, ppid: s.ppid, sample });
    }
    if (batch && batch.length > 0) for (const l of this.tickListeners) l(t, batch);
    if (any) {
      if (this.peakRss === null || sumRss > this.peakRss) this.peakRss = sumRss;
      if (anyPss && (this.peakPss === null || sumPss > this.peakPss)) this.peakPss = sumPss;
    }
    if (decimate) this.decimate();
  }

  private makeSample(p: Proc, t: number): MemorySample {
    const m = p.smaps;
    const has = p.series.smaps === "ok";
    const { vmSwap, anon, hwm, rss } = p;
    const val = (i: number): number | null => (has && (m[i] as number) >= 0 ? (m[i] as number) : null);
    let pss = val(SM.Pss);
    let privateDirty = val(SM.PrivateDirty);
    let sharedDirty = val(SM.SharedDirty);
    const privateClean = val(SM.PrivateClean);
    const sharedClean = val(SM.SharedClean);
    if (this.estimating(p)) {
      // Between smaps_rollup reads, follow the counters read every tick (see updateEstimates):
      // copied pages become private dirty; RssAnon moves with the process's own allocations and
      // frees, private too; a copied page that counted 1/n in PSS counts 1 (+1 − 1/n here, the
      // other 1/n goes to the parent's shareGain).
      const cow = p.estCow;
      const dAnon = anon >= 0 ? anon - p.anonAtSmaps : rss - p.rssAtSmaps;
      if (privateDirty !== null) privateDirty = Math.max(0, privateDirty + cow + dAnon);
      if (sharedDirty !== null) sharedDirty = Math.max(0, sharedDirty - cow);
      if (pss !== null) pss = Math.max(0, pss + cow - p.estShare + dAnon + p.shareGain);
    } else if (pss !== null && p.shareGain !== 0) {
      pss += p.shareGain;
    }
    // never above the RSS read this tick (a process that freed memory since its last smaps read
    // must not show PSS > RSS), and private pages never above PSS (they count whole in it; a
    // parent's carried private figures can be stale while its PSS follows its children's copies)
    const cap = (v: number | null): number | null => (v === null ? null : Math.min(v, rss));
    const pssShown = cap(pss);
    const capPrivate = (v: number | null): number | null => (v === null || pssShown === null ? cap(v) : Math.min(v, pssShown));
    const sample: MemorySample = {
      t,
      rss,
      pss: pssShown,
      uss: privateClean !== null && privateDirty !== null ? capPrivate(privateClean + privateDirty) : null,
      sharedClean: cap(sharedClean),
      sharedDirty: cap(sharedDirty),
      privateClean: capPrivate(privateClean),
      privateDirty: capPrivate(privateDirty),
      swap: vmSwap >= 0 ? vmSwap : val(SM.Swap),
      pssShmem: cap(val(SM.PssShmem)),
      anon: anon >= 0 ? anon : null,
      minflt: p.minflt >= 0 ? p.minflt : null,
      majflt: p.majflt >= 0 ? p.majflt : null,
    };
    if (hwm > 0 && (p.series.peak.rss ?? 0) < hwm) p.series.peak.rss = hwm;
    return sample;
  }

  /** Halve the resolution of every series (same ticks for all, so sums stay aligned). */
  private decimate(): void {
    this.keepEvery *= 2;
    const keep = this.keepEvery;
    for (const p of this.allProcs) {
      const s = p.series;
      const samples: MemorySample[] = [];
      const ticks: number[] = [];
      for (let i = 0; i < s.samples.length; i++) {
        const tk = p.sampleTicks[i] as number;
        if (i === 0 || i === s.samples.length - 1 || tk % keep === 0) {
          samples.push(s.samples[i] as MemorySample);
          ticks.push(tk);
        }
      }
      s.samples = samples;
      p.sampleTicks.length = 0;
      p.sampleTicks.push(...ticks);
    }
  }

  // ---- tracking --------------------------------------------------------------------------------

  private track(pid: number, ppidHint: number, watched: boolean, info: WatchInfo): Proc | null {
    if (this.live.size >= this.maxProcesses) {
      this.st.refused++;
      return null;
    }
    const t = this.now();
    let ppid = ppidHint;
    let startTime: number | null = null;
    if (this.backend === "proc") {
      const st = this.readStatPath(`${this.root}/${pid}`);
      if (!st || st.state === STATE_ZOMBIE || st.state === STATE_DEAD) return null;
      startTime = st.starttime;
      ppid = info.ppid ?? st.ppid;
    }
    const series: ProcessSeries = {
      pid, ppid, startTime, firstSeen: t, exitedAt: null, watched, info: { ...info }, samples: [], sampleCount: 0, peak: {},
      smaps: this.backend === "proc" ? (this.smapsSupported === false ? "unsupported" : "pending") : "unsupported",
    };
    const p = new Proc(series, this.root);
    p.trackedTick = this.inTick ? this.tickNo : this.tickNo + 1;
    const parent = this.live.get(ppid);
    if (parent) parent.sharingMoved = true;
    this.trackedThisTick = true;
    this.live.set(pid, p);
    this.all.push(series);
    this.allProcs.push(p);
    this.treeEpoch++;
    for (const l of this.processListeners) l(series);
    return p;
  }

  private exit(p: Proc, t: number): void {
    this.closeFds(p);
    if (this.live.get(p.series.pid) === p) this.live.delete(p.series.pid);
    if (p.series.exitedAt === null) p.series.exitedAt = t;
    this.treeEpoch++;
    for (const l of this.exitListeners) l(p.series);
  }

  private closeFds(p: Proc): void {
    for (const f of p.files()) this.closeFile(f);
  }

  /**
   * Read `f` into this.buf: through its kept descriptor, opened on first use while fewer than
   * maxOpenFds are open, else with open/read/close. Throws what open or read throw.
   */
  private readFile(f: ProcFile): number {
    if (f.fd === NO_FD && this.openFds < this.maxOpenFds) {
      try {
        f.fd = this.fs.open(f.path);
        this.openFds++;
        this.trackedThisTick = true; // opening is not part of a typical tick's cost (governor)
      } catch (err) {
        if (!isOutOfFds(err)) throw err;
        this.maxOpenFds = this.openFds; // the host needs them more: keep no more than we have
      }
    }
    return f.fd === NO_FD ? readOnce(this.fs, f.path, this.buf) : preadAll(this.fs, f.fd, this.buf);
  }

  private closeFile(f: ProcFile): void {
    if (f.fd === NO_FD) return;
    try {
      this.fs.close(f.fd);
    } catch {
      /* already closed */
    }
    f.fd = NO_FD;
    this.openFds--;
  }

  /** /proc/<pid>/stat of a tracked process (through its descriptor when open); null if gone or unreadable. */
  private readStatOf(p: Proc): StatFields | null {
    try {
      const n = this.readFile(p.stat);
      const st = newStatFields();
      return parseStat(this.buf, n, st) ? st : null;
    } catch (err) {
      if (isGone(err) || isDenied(err)) return null;
      throw err;
    }
  }

  private readStatPath(dir: string): StatFields | null {
    try {
      const n = readOnce(this.fs, `${dir}/stat`, this.buf);
      const st = newStatFields();
      return parseStat(this.buf, n, st) ? st : null;
    } catch (err) {
      if (isGone(err) || isDenied(err)) return null;
      throw err;
    }
  }

  // ---- discovery -------------------------------------------------------------------------------

  private discover(): void {
    if (this.live.size === 0) return;
    this.st.discoveries++;
    if (this.childrenMode === null) {
      const first = this.live.values().next().value as Proc;
      try {
        readOnce(this.fs, `${first.dir}/task/${first.series.pid}/children`, this.buf);
        this.childrenMode = "children";
      } catch {
        this.childrenMode = "scan";
      }
    }
    if (this.childrenMode === "children") this.discoverByChildren();
    else this.discoverByScan();
  }

  private discoverByChildren(): void {
    const found = this.found;
    // `live` grows while we iterate: Map iteration visits added entries, so grandchildren are found too
    for (const p of this.live.values()) {
      if (p.tidsThreads !== p.threads || (p.threads > 1 && this.st.discoveries % 8 === 0)) {
        // threads fork too (a Pool's handler thread starts replacement workers): one file per thread
        if (p.threads <= 1) p.tids = [String(p.series.pid)];
        else {
          try {
            p.tids = this.fs.readdir(`${p.dir}/task`);
          } catch {
            continue;
          }
        }
        p.tidsThreads = p.threads;
        for (const [tid, f] of p.children) {
          if (!p.tids.includes(tid)) {
            this.closeFile(f);
            p.children.delete(tid);
          }
        }
      }
      for (const tid of p.tids) {
        let f = p.children.get(tid);
        if (!f) p.children.set(tid, (f = new ProcFile(`${p.dir}/task/${tid}/children`)));
        found.length = 0;
        try {
          parsePidList(this.buf, this.readFile(f), found);
        } catch {
          this.closeFile(f);
          p.children.delete(tid);
          continue;
        }
        for (const child of found) {
          if (!this.live.has(child)) this.track(child, p.series.pid, false, {});
        }
      }
    }
  }

  private discoverByScan(): void {
    let names: string[];
    try {
      names = this.fs.readdir(this.root);
    } catch {
      return;
    }
    this.scanCount++;
    if (this.scanCount % 20 === 0) this.scanCache.clear(); // ppids change on re-parenting; pids get reused
    const present = new Set<number>();
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      present.add(pid);
      if (this.live.has(pid) || this.scanCache.has(pid)) continue;
      const st = this.readStatPath(`${this.root}/${pid}`);
      if (st) this.scanCache.set(pid, st.ppid);
    }
    for (const pid of this.scanCache.keys()) if (!present.has(pid)) this.scanCache.delete(pid);
    // breadth-first from the tracked processes
    let added = true;
    while (added) {
      added = false;
      for (const [pid, ppid] of this.scanCache) {
        if (this.live.has(ppid) && !this.live.has(pid)) {
          this.scanCache.delete(pid);
          if (this.track(pid, ppid, false, {})) added = true;
        }
      }
    }
  }

  // ---- shared memory ---------------------------------------------------------------------------

  private scanShmMaps(): void {
    for (const p of this.live.values()) {
      let text: string;
      try {
        text = readText(this.fs, `${p.dir}/maps`);
      } catch {
        continue;
      }
      for (const name of parseShmMappings(text)) {
        if (name.startsWith("sem.")) continue; // POSIX semaphores, not data
        let set = this.shm.get(name);
        if (!set) this.shm.set(name, (set = new Set()));
        set.add(p.series.pid);
      }
    }
  }

  // ---- macOS -----------------------------------------------------------------------------------

  private tickPs(t: number, perfNow: number): void {
    if (this.live.size === 0) return;
    if (perfNow - this.lastPsPerf < Math.max(this.intervalMs, 200)) return; // ps costs milliseconds
    this.lastPsPerf = perfNow;
    let rows: Map<number, PsRow>;
    try {
      rows = parsePsOutput(this.ps());
    } catch {
      this.st.errors++;
      return;
    }
    if (this.discoverOn) {
      let added = true;
      while (added) {
        added = false;
        for (const row of rows.values()) {
          if (!this.live.has(row.pid) && this.live.has(row.ppid)) {
            this.track(row.pid, row.ppid, false, {});
            added = true;
          }
        }
      }
    }
    for (const p of [...this.live.values()]) {
      const row = rows.get(p.series.pid);
      if (!row) this.exit(p, t);
      else {
        p.rss = row.rss;
        if (p.series.ppid < 0) p.series.ppid = row.ppid;
      }
    }
    this.emitSamples(t);
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private probeSmaps(): boolean {
    try {
      readOnce(this.fs, `${this.root}/${process.pid}/smaps_rollup`, this.buf);
      return true;
    } catch {
      return false;
    }
  }

  private getPageSize(): number {
    if (this.pageSize !== null) return this.pageSize;
    this.pageSize = 4096;
    if (this.root === "/proc") {
      try {
        const sm = parseStatm(this.buf, readOnce(this.fs, "/proc/self/statm", this.buf));
        const vals = new Float64Array(STATUS_KEYS.names.length);
        STATUS_KEYS.parse(this.buf, readOnce(this.fs, "/proc/self/status", this.buf), vals);
        const rss = vals[0] as number;
        if (sm && sm.residentPages > 0 && rss > 0) {
          const ratio = rss / sm.residentPages;
          this.pageSize = 2 ** Math.round(Math.log2(ratio));
        }
      } catch {
        /* keep 4096 */
      }
    }
    return this.pageSize;
  }
}

/**
 * Tick interval `elapsedMs` after start(): 10 ms for the first second (short runs, fork bursts at
 * pool start-up), then a linear back-off to `intervalMs` at 2 s.
 */
export function adaptiveInterval(elapsedMs: number, intervalMs: number): number {
  if (intervalMs <= 10) return intervalMs;
  if (elapsedMs < 1000) return 10;
  if (elapsedMs < 2000) return 10 + ((intervalMs - 10) * (elapsedMs - 1000)) / 1000;
  return intervalMs;
}

/** How many processes share this process's shared pages on average, from its smaps figures (2 when unknown). */
function sharing(m: Float64Array): number {
  const shared = Math.max(0, m[SM.SharedClean] as number) + Math.max(0, m[SM.SharedDirty] as number);
  const sharedPss = (m[SM.Pss] as number) - Math.max(0, m[SM.PrivateClean] as number) - Math.max(0, m[SM.PrivateDirty] as number);
  return sharedPss > 0 && shared > sharedPss ? shared / sharedPss : 2;
}

function cpuMicrosNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function addListener<T>(list: T[], l: T): () => void {
  list.push(l);
  return () => {
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
  };
}

function updatePeak(peak: PeakMemory, s: MemorySample): void {
  for (const k of SAMPLE_FIELDS) {
    const v = s[k];
    if (v === null || v === undefined) continue;
    const cur = peak[k];
    if (cur === undefined || v > cur) peak[k] = v;
  }
}

/** Read a proc text file of any size (maps). */
function readText(fs: ProcFs, path: string): string {
  const fd = fs.open(path);
  try {
    const chunks: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(65536);
      const n = fs.read(fd, b, 0, b.length, pos);
      if (n <= 0) break;
      chunks.push(n === b.length ? b : b.subarray(0, n));
      pos += n;
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    fs.close(fd);
  }
}

