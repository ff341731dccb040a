/**
 * The run folder: private (0700), one append-only NDJSON log per instrumented process, plus
 * run.json describing the run so `wmprof recover` can rebuild a profile after the profiler died.
 * The tailer reads each log from its last offset, so it works while logs grow and after a crash.
 */
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, chmodSync, writeFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineDecoder } from "./lineDecoder";
import { WmprofError } from "./errors";
import { openFilesLimit } from "./memory/procfs";
import { monotonicMs } from "./monotonic";

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

const NO_FD = -1;
/** The folder is listed again when its mtime moved, and for this long after (entries created within one timestamp tick share an mtime). */
const RESCAN_AFTER_CHANGE_MS = 1000;
/** …and at least this often whatever its mtime says (file systems with coarse timestamps). */
const RESCAN_MS = 5000;
/** A log whose descriptor was given up (over maxOpenFds, or idle) is checked by size after 250 ms, then backing off to 4 s. */
const CLOSED_CHECK_MS = 250;
const CLOSED_CHECK_MAX_MS = 4000;
/** A log that has not grown for this long gives up its descriptor too: its process has most likely
 *  exited, and runs that start and end many workers must not hold one descriptor per log ever seen. */
const IDLE_CLOSE_MS = 10_000;
/** An open log that a read found unchanged is read again after 200 ms, then 400 ms, until it grows:
 *  a tree of idle workers costs a few reads a second, not one per log per poll. A process flushes
 *  every 250 ms at most, so this delays its lines by no more than that. */
const QUIET_READ_MS = 200;
const QUIET_READ_MAX_MS = 400;

interface TailState {
  path: string;
  offset: number;
  decoder: LineDecoder;
  /** Kept open between polls (a pread at the offset finds what was appended: one syscall per poll). */
  fd: number;
  /** Poll clock (ms) of the last read that found new bytes: the least recent gives up its fd first. */
  grewAt: number;
  /** When to look at it next (a read when open, a size check when not) and the back-off doubling it. */
  checkAt: number;
  checkEveryMs: number;
}

export interface TailerOptions {
  /** Descriptors kept open at most (one per log); beyond that the least recently grown logs are closed. Default: an eighth of the open-files limit, 32–1024. */
  maxOpenFds?: number;
  /** Clock for polling decisions (ms). Default monotonicMs. */
  clock?: () => number;
}

/** Reads new lines from every event log in a run folder. Call `poll()` repeatedly; `finish()` once at the end. */
export class RunDirTailer {
  private readonly files = new Map<string, TailState>();
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private readonly maxOpenFds: number;
  private readonly clock: () => number;
  private openFds = 0;
  private listedMtimeMs = NaN;
  private listedAt = -Infinity;
  oversizedLines = 0;
  /** Pids whose harness stopped writing because its log failed (their events end early). */
  readonly failedPids = new Set<number>();

  constructor(private readonly dir: string, private readonly onLine: (line: string) => void, options: TailerOptions = {}) {
    this.maxOpenFds = Math.max(1, options.maxOpenFds ?? Math.min(1024, Math.max(32, Math.floor((openFilesLimit() ?? 1024) / 8))));
    this.clock = options.clock ?? monotonicMs;
  }

  /** Reads everything appended since the last poll. Returns the number of bytes read. */
  poll(): number {
    return this.pollAt(this.clock(), false);
  }

  /** Final read, then hands over unterminated tails (a process killed mid-line leaves one; it is usually malformed and counted as such). */
  finish(): void {
    this.pollAt(this.clock(), true);
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

  /** `all`: list the folder and read every log whatever the schedule says (the final read). */
  private pollAt(now: number, all: boolean): number {
    // Listing the folder (and testing every name) on each poll cost more than reading the logs;
    // new entries move the folder's mtime, so one stat tells whether a listing can find anything.
    let mtimeMs = NaN;
    try {
      mtimeMs = statSync(this.dir).mtimeMs;
    } catch {
      /* gone: list() finds nothing either */
    }
    if (all || mtimeMs !== this.listedMtimeMs || Date.now() - mtimeMs < RESCAN_AFTER_CHANGE_MS || now - this.listedAt >= RESCAN_MS) {
      this.list(now, mtimeMs, all);
    }
    let total = 0;
    for (const st of this.files.values()) total += this.readNew(st, now, all);
    return total;
  }

  /** `mtimeMs`: the folder's, read before the listing (an entry created later moves it again). */
  private list(now: number, mtimeMs: number, all: boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    this.listedMtimeMs = mtimeMs;
    this.listedAt = now;
    for (const name of names) {
      if (this.files.has(name)) continue;
      const failed = FAILED_PATTERN.exec(name);
      if (failed) this.failedPids.add(Number(failed[1]));
      if (!LOG_PATTERN.test(name)) continue;
      const st: TailState = {
        path: join(this.dir, name), offset: 0, decoder: new LineDecoder(), fd: NO_FD, grewAt: now, checkAt: -Infinity, checkEveryMs: CLOSED_CHECK_MS,
      };
      this.files.set(name, st);
      if (!all) this.open(st); // a new log is about to be written: no size check first
    }
  }

  /** `all`: the final read, which reads every log and then closes it (no more than one open at a time beyond those kept). */
  private readNew(st: TailState, now: number, all: boolean): number {
    if (st.fd === NO_FD) {
      if (!all) {
        if (now < st.checkAt) return 0;
        // a log whose descriptor was given up for a busier one: one stat says whether it grew
        let size: number;
        try {
          size = statSync(st.path).size;
        } catch {
          return 0;
        }
        if (size <= st.offset) {
          backOff(st, now, CLOSED_CHECK_MAX_MS);
          return 0;
        }
      }
      if (!this.open(st)) return 0;
    } else if (!all && now < st.checkAt) return 0;
    let total = 0;
    try {
      for (;;) {
        const n = readSync(st.fd, this.buf, 0, this.buf.length, st.offset);
        if (n <= 0) break;
        st.offset += n;
        total += n;
        for (const line of st.decoder.push(this.buf.subarray(0, n))) this.onLine(line);
        if (n < this.buf.length) break; // a short read is the end of a regular file
      }
    } catch {
      this.close(st); // reopened at the next check
    }
    if (all || (total === 0 && now - st.grewAt >= IDLE_CLOSE_MS)) this.close(st);
    else if (st.fd === NO_FD) return total; // the read failed: reopened at the next check
    else if (total > 0) {
      st.grewAt = now;
      st.checkAt = now; // read again at the next poll
      st.checkEveryMs = QUIET_READ_MS;
    } else backOff(st, now, QUIET_READ_MAX_MS);
    return total;
  }

  private open(st: TailState): boolean {
    if (this.openFds >= this.maxOpenFds) {
      // give up the descriptor of the log that grew least recently
      let lru: TailState | null = null;
      for (const o of this.files.values()) if (o.fd !== NO_FD && (!lru || o.grewAt < lru.grewAt)) lru = o;
      if (lru) this.close(lru);
    }
    try {
      st.fd = openSync(st.path, "r");
    } catch {
      st.fd = NO_FD;
      return false;
    }
    this.openFds++;
    st.checkAt = -Infinity;
    st.checkEveryMs = QUIET_READ_MS;
    return true;
  }

  private close(st: TailState): void {
    if (st.fd === NO_FD) return;
    try {
      closeSync(st.fd);
    } catch {
      /* already closed */
    }
    st.fd = NO_FD;
    st.checkAt = -Infinity; // one size check at the next poll, then backing off
    st.checkEveryMs = CLOSED_CHECK_MS;
    this.openFds--;
  }
}

/** Nothing new: look again after the current back-off, and double it up to maxMs. */
function backOff(st: TailState, now: number, maxMs: number): void {
  st.checkAt = now + st.checkEveryMs;
  st.checkEveryMs = Math.min(maxMs, 2 * st.checkEveryMs);
}
