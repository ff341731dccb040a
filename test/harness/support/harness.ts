/**
 * Test support for the Python harness: runs `harness/python/wmprof_run.py` directly (no CLI) on
 * scripts the test writes, with the environment the core provides, and reads the run folder's
 * `events-<pid>.ndjson` logs back (see docs/event-protocol.md).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { test as nodeTest } from "node:test";
import type { AggRow, Channel, Direction, HarnessEvent, Role, StartMethod } from "../../../src/protocol/events";

export const ROOT = resolve(__dirname, "..", "..", "..");
export const HARNESS_DIR = join(ROOT, "harness", "python");
export const RUNNER = join(HARNESS_DIR, "wmprof_run.py");

export interface Python {
  label: string;
  exe: string;
  version: [number, number];
}

/**
 * The interpreters to test: the oldest supported (3.8), the default `python3` and the newest
 * (3.13). One that is not installed is returned in `missing` so the caller can register a
 * visibly skipped test (CI machines may not have pyenv).
 */
export function pythons(): { found: Python[]; missing: string[] } {
  const found: Python[] = [];
  const missing: string[] = [];
  const root = process.env.PYENV_ROOT ?? join(process.env.HOME ?? "/root", ".pyenv");
  const candidates: Array<[string, string | undefined]> = [
    ["python3.8", pyenvExe(root, "3.8")],
    ["python3", "python3"],
    ["python3.13", pyenvExe(root, "3.13")],
  ];
  for (const [label, exe] of candidates) {
    const version = exe ? probe(exe) : null;
    if (exe && version) found.push({ label, exe, version });
    else missing.push(`${label} (not installed${label === "python3" ? "" : ` under ${root}/versions`})`);
  }
  return { found, missing };
}

function pyenvExe(root: string, prefix: string): string | undefined {
  try {
    const v = readdirSync(join(root, "versions"))
      .filter((d) => d === prefix || d.startsWith(prefix + "."))
      .sort()
      .pop();
    const exe = v ? join(root, "versions", v, "bin", "python3") : undefined;
    return exe && existsSync(exe) ? exe : undefined;
  } catch {
    return undefined;
  }
}

function probe(exe: string): [number, number] | null {
  const r = spawnSync(exe, ["-c", "import sys; print('%d %d' % sys.version_info[:2])"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const [a, b] = r.stdout.trim().split(" ").map(Number);
  return a && b !== undefined ? [a, b] : null;
}

/** Registers one test per interpreter, plus a skipped test naming each missing one. */
export function forEachPython(test: typeof nodeTest, body: (py: Python) => void): void {
  const { found, missing } = pythons();
  for (const m of missing) test(`${m}: skipped`, { skip: `${m} is not available on this machine` }, () => {});
  for (const py of found) body(py);
}

/** A fresh temp folder with the given files (relative paths; folders are created). */
export function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-harness-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** 1-based line of the first line of `script` containing `marker`. */
export function lineOf(script: string, marker: string): number {
  const i = script.split("\n").findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in script`);
  return i + 1;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  runDir: string;
  log: RunLog;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Python flags before the runner path, e.g. ["-I"]. */
  pyFlags?: string[];
  timeoutMs?: number;
  /** Wait for every logged process to be gone before reading the logs (default true). */
  settle?: boolean;
}

/** The environment the core gives the runner (docs/event-protocol.md). */
export function harnessEnv(runDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const pp = process.env.PYTHONPATH;
  return {
    ...process.env,
    WMPROF_RUN_DIR: runDir,
    WMPROF_HARNESS_DIR: HARNESS_DIR,
    PYTHONPATH: pp ? `${HARNESS_DIR}:${pp}` : HARNESS_DIR,
    ...extra,
  };
}

export function newRunDir(): string {
  return mkdtempSync(join(tmpdir(), "wmprof-run-")); // mode 0700
}

/** `python [flags] wmprof_run.py ARGS...` with a fresh run folder; resolves when it exits. */
export async function runHarness(py: Python, args: string[], opts: RunOptions): Promise<RunResult> {
  const runDir = newRunDir();
  const env = harnessEnv(runDir, opts.env);
  const r = await runProcess(py.exe, [...(opts.pyFlags ?? []), RUNNER, ...args], { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs });
  if (opts.settle !== false) await settle(runDir);
  return { ...r, runDir, log: readRunLog(runDir) };
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a process to completion, capturing stdout as bytes. */
export function runProcess(exe: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcResult> {
  return new Promise((done, fail) => {
    const child = spawn(exe, args, { cwd: opts.cwd, env: opts.env ?? process.env });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${exe} ${args.join(" ")} timed out; stderr:\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

/** Plain `python SCRIPT ARGS` (no harness), for passthrough comparisons. */
export function runPlain(py: Python, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ProcResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const k of Object.keys(env)) if (k.startsWith("WMPROF_")) delete env[k];
  return runProcess(py.exe, args, { cwd: opts.cwd, env });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // a zombie (exited, not yet reaped by whoever adopted it) is gone for our purposes
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/**
 * Waits until every process that wrote a hello in the run folder has exited (the resource
 * tracker and the forkserver outlive the main process by a few ms). Gives up after timeoutMs.
 */
export async function settle(runDir: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pids = readRunLog(runDir).pids();
    if (!pids.some(alive) || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------------------------------------
// Reading the logs

export interface Site {
  file: string;
  line: number;
  function: string;
}

/** One resolved cumulative counter row. */
export interface Copy {
  pid: number;
  site: Site | null;
  ch: Channel;
  dir: Direction;
  count: number;
  bytes: number;
  ns: number;
  hist: number[];
}

type Ev<K extends HarnessEvent["e"]> = Extract<HarnessEvent, { e: K }>;

export class RunLog {
  /** All well-formed events, per file order. */
  readonly events: HarnessEvent[] = [];
  readonly malformed: string[] = [];
  /** Marker files left when a log could not be written. */
  readonly failed: string[] = [];
  /** Files in the run folder. */
  readonly files: string[] = [];

  constructor(readonly runDir: string) {
    if (!existsSync(runDir)) return;
    for (const name of readdirSync(runDir).sort()) {
      this.files.push(name);
      if (name.endsWith(".failed")) this.failed.push(name);
      if (!/^events-\d+\.ndjson$/.test(name)) continue;
      const text = readFileSync(join(runDir, name), "utf8");
      const lines = text.split("\n");
      // a line still being written has no newline yet: not malformed, just not there yet
      if (!text.endsWith("\n")) lines.pop();
      for (const line of lines) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as HarnessEvent;
          if (typeof e !== "object" || e === null || typeof e.e !== "string" || typeof e.pid !== "number") throw new Error("shape");
          this.events.push(e);
        } catch {
          this.malformed.push(`${name}: ${line}`);
        }
      }
    }
  }

  of<K extends HarnessEvent["e"]>(kind: K, pid?: number): Ev<K>[] {
    return this.events.filter((e): e is Ev<K> => e.e === kind && (pid === undefined || e.pid === pid));
  }

  pids(): number[] {
    return [...new Set(this.of("hello").map((h) => h.pid))];
  }

  hello(pid: number): Ev<"hello"> | undefined {
    return this.of("hello", pid)[0];
  }

  byRole(role: Role): Ev<"hello">[] {
    return this.of("hello").filter((h) => h.role === role);
  }

  main(): Ev<"hello"> {
    const m = this.byRole("main");
    if (m.length !== 1) throw new Error(`expected one main hello, got ${m.length}: ${this.dump()}`);
    return m[0]!;
  }

  /** Site table of one pid (site ids are per pid). */
  sites(pid: number): Map<number, Site> {
    const m = new Map<number, Site>();
    for (const s of this.of("site", pid)) m.set(s.id, { file: s.file, line: s.line, function: s.function });
    return m;
  }

  site(pid: number, id: number): Site | null {
    if (id < 0) return null;
    const s = this.sites(pid).get(id);
    if (!s) throw new Error(`pid ${pid} uses site ${id} without defining it`);
    return s;
  }

  /** The latest cumulative row per (pid, site, channel, direction), sites resolved. */
  copies(filter: Partial<{ pid: number; ch: Channel; dir: Direction; line: number; file: string }> = {}): Copy[] {
    const latest = new Map<string, [number, AggRow]>();
    for (const a of this.of("agg")) {
      for (const row of a.rows) latest.set(`${a.pid}/${row[0]}/${row[1]}/${row[2]}`, [a.pid, row]);
    }
    const out: Copy[] = [];
    for (const [pid, [site, ch, dir, count, bytes, ns, hist]] of latest.values()) {
      const c: Copy = { pid, site: this.site(pid, site), ch, dir, count, bytes, ns, hist };
      if (filter.pid !== undefined && c.pid !== filter.pid) continue;
      if (filter.ch !== undefined && c.ch !== filter.ch) continue;
      if (filter.dir !== undefined && c.dir !== filter.dir) continue;
      if (filter.line !== undefined && c.site?.line !== filter.line) continue;
      if (filter.file !== undefined && !c.site?.file.endsWith(filter.file)) continue;
      out.push(c);
    }
    return out;
  }

  children(pid?: number): Ev<"child">[] {
    return this.of("child", pid);
  }

  reaps(pid?: number): Ev<"reap">[] {
    return this.of("reap", pid);
  }

  shm(): Ev<"shm">[] {
    return this.of("shm");
  }

  /** A compact dump for assertion messages. */
  dump(): string {
    return this.events
      .filter((e) => e.e !== "heap")
      .map((e) => JSON.stringify(e))
      .join("\n");
  }
}

export function readRunLog(runDir: string): RunLog {
  return new RunLog(runDir);
}

export function total(copies: Copy[], f: (c: Copy) => number): number {
  return copies.reduce((a, c) => a + f(c), 0);
}

/** Start methods to exercise; fork and forkserver are POSIX-only, so is this whole suite. */
export const START_METHODS: StartMethod[] = ["fork", "spawn", "forkserver"];
