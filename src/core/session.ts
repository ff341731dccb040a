/**
 * One profiling run: a small state machine (starting → running → stopping → done) that launches the
 * target under the harness, tails the run folder, samples memory from outside, and folds it all into
 * a ProfileModel. The CLI and the extension both use this class; there is no second implementation.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { constants as osConstants, platform } from "node:os";
import { delimiter } from "node:path";
import type { Profile } from "../protocol/profile";
import { WmprofError } from "./errors";
import { ProfileModel } from "./model";
import { nodePreload, pythonHarnessDir, pythonRunner } from "./paths";
import { nodeOptionsWithPreload } from "./nodeRuntime";
import { runStragglers, signalRun, STOP_INT_GRACE_MS, STOP_TERM_GRACE_MS } from "./processTree";
import { startHostWatchdog, type HostWatchdog } from "./hostWatchdog";
import { createRunDir, removeRunDir, RunDirTailer, writeRunInfo, type RunInfo } from "./runDir";
import { checkTarget, isNodeTarget, type Target } from "./target";
import { finalizeProfile } from "./finalize";
import { createSampler, type SamplerPort } from "./sampling";
import { version as toolVersion } from "../../package.json";

export interface SessionOptions {
  target: Target;
  args: string[];
  /** Interpreter path, already resolved (resolvePython, or resolveNode for .js/.mjs/.cjs targets). */
  python: string;
  pythonVersion?: string;
  cwd?: string;
  env?: Record<string, string>;
  intervalMs?: number;
  tracemalloc?: boolean;
  /** Refuse to track more than this many processes (the sampler stops adding new ones). */
  maxProcesses?: number;
  /** "inherit": the script owns the terminal (CLI). "pipe": listen to 'stdout'/'stderr' (extension). */
  stdio: "inherit" | "pipe";
  /** Keep the run folder after a finished run (it is always kept if the profiler dies: `wmprof recover`). */
  keepRunDir?: boolean;
  /**
   * End the run if this process dies before the run does (the extension: nothing else would).
   * The CLI leaves it unset: a killed CLI never kills the script it started.
   */
  endWithHost?: boolean;
}

export type SessionState = "starting" | "running" | "stopping" | "done";

export interface LiveStatus {
  state: SessionState;
  elapsedMs: number;
  processes: number;
  bytesCopied: number;
}

/** Log poll (new events, new pids, live updates); it runs on the sampler's timer, see launch(). */
const POLL_MS = 100;
const UPDATE_MS = 250;
const DRAIN_MS = 1500;
/** Stragglers are looked for again after 4, 8, 16, 32 ms, then every 50 ms. */
const DRAIN_FIRST_MS = 4;
const DRAIN_STEP_MS = 50;
const WATCH_RETRY_MS = 1000;

export class ProfileSession {
  readonly runDir: string;
  readonly done: Promise<Profile>;
  private state: SessionState = "starting";
  private readonly emitter = new EventEmitter();
  private readonly model: ProfileModel;
  private readonly tailer: RunDirTailer;
  private readonly sampler: SamplerPort;
  private readonly startedAtMs = Date.now();
  private readonly info: RunInfo;
  private readonly runtime: "python" | "node";
  private child!: ChildProcess;
  private exitCode: number | null = null;
  private endedAtMs: number | null = null;
  private stopRequested = false;
  private readonly watchRetryAt = new Map<number, number>();
  private watchdog?: HostWatchdog;
  private lastUpdateVersion = -1;
  private lastUpdateAt = 0;
  private resolveDone!: (p: Profile) => void;

  private constructor(private readonly opts: SessionOptions, private readonly target: Target) {
    this.runDir = createRunDir();
    const cwd = opts.cwd ?? process.cwd();
    this.runtime = isNodeTarget(target) ? "node" : "python";
    this.info = {
      v: 1,
      runtime: this.runtime,
      command: target.kind === "module" ? ["-m", target.name, ...opts.args] : [target.path, ...opts.args],
      cwd,
      startedAt: new Date(this.startedAtMs).toISOString(),
      startedAtMs: this.startedAtMs,
      python: { executable: opts.python, version: opts.pythonVersion ?? "" },
    };
    writeRunInfo(this.runDir, this.info);
    this.model = new ProfileModel({ startedAtMs: this.startedAtMs });
    this.tailer = new RunDirTailer(this.runDir, (line) => this.model.ingestLine(line));
    this.sampler = createSampler({ intervalMs: opts.intervalMs, maxProcesses: opts.maxProcesses });
    this.sampler.onTick((t, samples) => this.model.addMemoryTick(t, samples));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Validates the target and starts it. Rejects with a WmprofError for bad input. */
  static async start(opts: SessionOptions): Promise<ProfileSession> {
    if (opts.intervalMs !== undefined && !(opts.intervalMs >= 1 && opts.intervalMs <= 60_000)) {
      throw new WmprofError(`Invalid sample interval ${opts.intervalMs} ms: use a number from 1 to 60000.`);
    }
    const target = checkTarget(opts.target, opts.cwd ?? process.cwd());
    const s = new ProfileSession(opts, target);
    await s.launch();
    return s;
  }

  on(ev: "stdout" | "stderr", cb: (chunk: Buffer) => void): void;
  on(ev: "update", cb: (s: LiveStatus) => void): void;
  on(ev: string, cb: (...a: never[]) => void): void {
    this.emitter.on(ev, cb as (...a: unknown[]) => void);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  status(): LiveStatus {
    const live = this.model.liveStatus();
    return {
      state: this.state,
      elapsedMs: (this.endedAtMs ?? Date.now()) - this.startedAtMs,
      processes: live.processes,
      bytesCopied: live.bytesCopied,
    };
  }

  /** The profile so far; cheap enough to call a few times a second. */
  snapshot(): Profile {
    return this.buildProfile(this.state !== "done");
  }

  /**
   * Ends the run with no orphans: SIGINT to the main process first (like Ctrl-C, so it exits through
   * its own handlers and the harness writes its last counters), then SIGTERM and finally SIGKILL to
   * the whole tree, including processes that left it (setsid, daemons) but carry this run's marker.
   */
  async stop(): Promise<void> {
    if (this.state === "done") return;
    this.stopRequested = true;
    this.setState("stopping");
    const root = this.child?.pid;
    if (root !== undefined) {
      try {
        process.kill(root, "SIGINT");
      } catch {
        /* already gone */
      }
    }
    const term = setTimeout(() => this.signalTree("SIGTERM"), STOP_INT_GRACE_MS);
    const kill = setTimeout(() => this.signalTree("SIGKILL"), STOP_INT_GRACE_MS + STOP_TERM_GRACE_MS);
    await this.done;
    clearTimeout(term);
    clearTimeout(kill);
  }

  /** The command line and environment that start the target under the right harness. */
  private launchSpec(): { argv: string[]; env: NodeJS.ProcessEnv } {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, WMPROF_RUN_DIR: this.runDir };
    if (this.runtime === "node") {
      delete env.WMPROF_NODE_PARENT; // the harness sets it in children only
      env.NODE_OPTIONS = nodeOptionsWithPreload(nodePreload(), env.NODE_OPTIONS);
      return { argv: [this.target.kind === "script" ? this.target.path : this.target.name, ...this.opts.args], env };
    }
    const harness = pythonHarnessDir();
    env.WMPROF_HARNESS_DIR = harness;
    if (this.opts.tracemalloc) env.WMPROF_TRACEMALLOC = "1";
    else delete env.WMPROF_TRACEMALLOC;
    env.PYTHONPATH = env.PYTHONPATH ? `${harness}${delimiter}${env.PYTHONPATH}` : harness;
    const targetArgs = this.target.kind === "module" ? ["-m", this.target.name] : [this.target.path];
    return { argv: [pythonRunner(), ...targetArgs, ...this.opts.args], env };
  }

  private async launch(): Promise<void> {
    const { argv, env } = this.launchSpec();
    const pipe = this.opts.stdio === "pipe";
    const child = spawn(this.opts.python, argv, {
      cwd: this.info.cwd,
      env,
      // The CLI leaves the script in the terminal's foreground group (Ctrl-C, input() work as usual);
      // the extension gives it its own group so that Stop can signal the whole tree at once.
      detached: pipe,
      stdio: pipe ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (e: NodeJS.ErrnoException) => {
        reject(new WmprofError(`Cannot start ${this.opts.python}: ${e.code === "ENOENT" ? "not found" : e.message}.`));
      });
    });
    if (pipe) {
      child.stdout?.on("data", (d: Buffer) => this.emitter.emit("stdout", d));
      child.stderr?.on("data", (d: Buffer) => this.emitter.emit("stderr", d));
    }
    child.once("exit", (code, signal) => void this.onMainExit(code, signal));
    if (this.opts.endWithHost && child.pid !== undefined) this.watchdog = startHostWatchdog(child.pid, this.runDir);
    if (child.pid !== undefined) this.sampler.watch(child.pid);
    // One timer for both: the sampler's ticks (50 ms) carry the log poll (every other one; see alongside())
    this.sampler.alongside(() => this.tick(), POLL_MS);
    this.sampler.start();
    this.setState("running");
  }

  private tick(): void {
    this.tailer.poll();
    this.watchReported();
    for (const name of this.model.sharedMemoryNames()) this.sampler.trackShm(name);
    this.maybeEmitUpdate(false);
  }

  /**
   * Hands the sampler the processes the harness reported that it does not track yet (it checks the
   * identity of those it tracks on every tick, so a reused pid shows up here once the old process
   * is gone). A pid it could not track (gone, beyond maxProcesses) is retried once a second.
   */
  private watchReported(): void {
    const now = Date.now();
    for (const pid of this.model.livePids()) {
      if (this.sampler.tracking(pid) || (this.watchRetryAt.get(pid) ?? 0) > now) continue;
      if (this.sampler.watch(pid)) this.watchRetryAt.delete(pid);
      else this.watchRetryAt.set(pid, now + WATCH_RETRY_MS);
    }
  }

  private maybeEmitUpdate(force: boolean): void {
    const now = Date.now();
    if (!force && (this.model.version === this.lastUpdateVersion || now - this.lastUpdateAt < UPDATE_MS)) return;
    this.lastUpdateVersion = this.model.version;
    this.lastUpdateAt = now;
    this.emitter.emit("update", this.status());
  }

  private async onMainExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.endedAtMs = Date.now();
    this.exitCode = code ?? (signal ? -(osConstants.signals[signal] ?? 1) : null);
    if (this.child.pid !== undefined) this.model.setExit(this.child.pid, this.exitCode, this.endedAtMs);
    // Children that outlive the main process (daemons, the resource tracker) get a moment to write
    // their last lines; on Stop they are killed instead. The first looks come soon: a spawn run's
    // resource tracker exits a few ms after the main process, and every ms here is the user's wait.
    const deadline = Date.now() + (this.stopRequested ? 0 : DRAIN_MS);
    for (let wait = DRAIN_FIRST_MS; Date.now() < deadline && this.stragglers().length > 0; wait = Math.min(DRAIN_STEP_MS, wait * 2)) {
      await sleep(wait);
      this.tailer.poll();
    }
    if (this.stopRequested) this.signalTree("SIGKILL");
    this.watchdog?.release();
    this.sampler.finish();
    this.tailer.finish();
    this.setState("done");
    const profile = this.buildProfile(false);
    // Everything is in the profile now; the folder only matters if the profiler had died.
    if (!this.opts.keepRunDir) removeRunDir(this.runDir);
    this.maybeEmitUpdate(true);
    this.resolveDone(profile);
  }

  /** Processes of this run that are still alive (found by the run's env marker and by the tree). */
  private stragglers(): number[] {
    return runStragglers(this.child.pid, this.runDir, this.model.livePids());
  }

  private signalTree(sig: NodeJS.Signals): void {
    const root = this.child?.pid;
    if (root === undefined) return;
    signalRun(root, this.runDir, sig, { group: this.opts.stdio === "pipe", known: this.model.livePids() });
  }

  private buildProfile(live: boolean): Profile {
    const wallMs = (this.endedAtMs ?? Date.now()) - this.startedAtMs;
    const profile = this.model.toProfile({
      runtime: this.runtime,
      command: this.info.command,
      cwd: this.info.cwd,
      python: this.info.python,
      exitCode: this.exitCode,
      wallMs,
      complete: !live,
      warnings: this.tailer.warnings(),
      capabilities: { ...this.sampler.capabilities(), platform: platform(), heap: false, tracemalloc: !!this.opts.tracemalloc },
      toolVersion,
    });
    return finalizeProfile(profile, { shmAttachments: this.sampler.shmAttachments() });
  }

  private setState(s: SessionState): void {
    this.state = s;
    this.maybeEmitUpdate(true);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

