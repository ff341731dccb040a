/**
 * The run folder: private (0700), one append-only NDJSON log per instrumented process, plus
 * run.json describing the run so `wmprof recover` can rebuild a profile after the profiler died.
 * The tailer reads each log from its last offset, so it works while logs grow and after a crash.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, chmodSync, writeFileSync, fstatSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineDecoder } from "./lineDecoder";
import { WmprofError } from "./errors";

export interface RunInfo {
  v: 1;
  runtime: "python" | "node";
  command: string[];
  cwd: string;
  startedAt: string;
  startedAtMs: number;
  python: { executable: string; version: string } | null;
}

export const RUN_INFO_FILE = "run.json";
const LOG_PATTERN = /^events-\d+(-t\d+)?\.ndjson$/;
/** Left by a harness process that could not write its log (disk full, RLIMIT_FSIZE, read-only folder). */
const FAILED_PATTERN = /^events-(\d+)\.failed$/;

export function createRunDir(parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, "wmprof-run-"));
  chmodSync(dir, 0o700);
  return dir;
}

/** Best effort: a leftover folder in the temp dir is harmless. */
export function removeRunDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* ignore */
  }
}

export function writeRunInfo(dir: string, info: RunInfo): void {
  writeFileSync(join(dir, RUN_INFO_FILE), JSON.stringify(info) + "\n", { mode: 0o600 });
}

export function readRunInfo(dir: string): RunInfo {
  let text: string;
  try {
    text = readFileSync(join(dir, RUN_INFO_FILE), "utf8");
  } catch {
    throw new WmprofError(`${dir} is not a wmprof run folder (no ${RUN_INFO_FILE}).`);
  }
  try {
    const info = JSON.parse(text) as RunInfo;
    if (info.v !== 1 || !Array.isArray(info.command)) throw new Error("shape");
    return info;
  } catch {
    throw new WmprofError(`${join(dir, RUN_INFO_FILE)} is corrupt; cannot recover this run.`);
  }
}

interface TailState {
  offset: number;
  decoder: LineDecoder;
}

/** Reads new lines from every event log in a run folder. Call `poll()` repeatedly; `finish()` once at the end. */
export class RunDirTailer {
  private readonly files = new Map<string, TailState>();
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  oversizedLines = 0;
  /** Pids whose harness stopped writing because its log failed (their events end early). */
  readonly failedPids = new Set<number>();

  constructor(private readonly dir: string, private readonly onLine: (line: string) => void) {}

  /** Reads everything appended since the last poll. Returns the number of bytes read. */
  poll(): number {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    let total = 0;
    for (const name of names) {
      const failed = FAILED_PATTERN.exec(name);
      if (failed) this.failedPids.add(Number(failed[1]));
      if (!LOG_PATTERN.test(name)) continue;
      let st = this.files.get(name);
      if (!st) {
        st = { offset: 0, decoder: new LineDecoder() };
        this.files.set(name, st);
      }
      total += this.readNew(join(this.dir, name), st);
    }
    return total;
  }

  /** Final read, then hands over unterminated tails (a process killed mid-line leaves one; it is usually malformed and counted as such). */
  finish(): void {
    this.poll();
    for (const st of this.files.values()) {
      const tail = st.decoder.flush();
      if (tail !== null) this.onLine(tail);
      this.oversizedLines += st.decoder.oversizedLines;
    }
  }

  /** Warnings for the profile: lines skipped, logs that stopped early. */
  warnings(): string[] {
    const w: string[] = [];
    if (this.oversizedLines) w.push(`${this.oversizedLines} oversized event line(s) skipped`);
    if (this.failedPids.size) {
      const pids = [...this.failedPids].sort((a, b) => a - b);
      w.push(`the event log of ${pids.length} process(es) could not be written (pid ${pids.slice(0, 8).join(", ")}${pids.length > 8 ? ", …" : ""}): their figures are incomplete`);
    }
    return w;
  }

  private readNew(path: string, st: TailState): number {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return 0;
    }
    let total = 0;
    try {
      const size = fstatSync(fd).size;
      while (st.offset < size) {
        const n = readSync(fd, this.buf, 0, Math.min(this.buf.length, size - st.offset), st.offset);
        if (n <= 0) break;
        st.offset += n;
        total += n;
        for (const line of st.decoder.push(this.buf.subarray(0, n))) this.onLine(line);
      }
    } finally {
      closeSync(fd);
    }
    return total;
  }
}
