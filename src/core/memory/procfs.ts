/**
 * Low-level /proc readers and parsers for the memory sampler.
 *
 * The sampler reads /proc/<pid>/status and /proc/<pid>/stat of every process on every tick, so
 * everything here works on one reused Buffer: no per-read strings, no split(), no regexes.
 * Fields are found by name (kernels add, remove and reorder lines), values are converted to bytes.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";

/** The file-system calls the sampler makes, injectable so tests can simulate EACCES, ESRCH, ... */
export interface ProcFs {
  open(path: string): number;
  /** pread at offset 0; returns the number of bytes read. */
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): number;
  close(fd: number): void;
  readdir(path: string): string[];
}

export const nodeProcFs: ProcFs = {
  open: (path) => openSync(path, "r"),
  read: (fd, buf, offset, length, position) => readSync(fd, buf, offset, length, position),
  close: (fd) => closeSync(fd),
  readdir: (path) => readdirSync(path),
};

/** errno codes meaning "the process is gone" (or, for zombies, has no memory left to read). */
export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR";
}

export function isDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "EACCES" || code === "EPERM";
}

/** This process (EMFILE) or the system (ENFILE) is out of file descriptors. */
export function isOutOfFds(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/** The soft limit on open files of this process (/proc/self/limits), null when unknown. */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "latin1").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line ? Number(line.slice(14).trim().split(/\s+/)[0]) : NaN;
    return Number.isFinite(soft) && soft > 0 ? soft : null; // "unlimited" → null
  } catch {
    return null;
  }
}

/** Read a whole (small) proc file from an open fd at offset 0 into buf. Returns its length. */
export function preadAll(fs: ProcFs, fd: number, buf: Buffer): number {
  let len = 0;
  for (;;) {
    const n = fs.read(fd, buf, len, buf.length - len, len);
    if (n <= 0) return len;
    len += n;
    if (len >= buf.length) return len; // truncated: every field we need sits well before 64 KiB
  }
}

/** Open, read and close. For files read rarely (smaps_rollup, maps, children). */
export function readOnce(fs: ProcFs, path: string, buf: Buffer): number {
  const fd = fs.open(path);
  try {
    return preadAll(fs, fd, buf);
  } finally {
    fs.close(fd);
  }
}

/** A set of `Key:  value [kB]` names to pick out of a proc file, compiled once. */
export class KeySet {
  readonly names: readonly string[];
  private readonly bytes: Uint8Array[];
  private readonly byFirst = new Map<number, number[]>();

  constructor(names: readonly string[]) {
    this.names = names;
    this.bytes = names.map((n) => Buffer.from(n, "latin1"));
    this.bytes.forEach((b, i) => {
      const first = b[0] as number;
      const list = this.byFirst.get(first);
      if (list) list.push(i);
      else this.byFirst.set(first, [i]);
    });
  }

  /**
   * Fill `out[i]` with the value of names[i] in bytes (`kB` values × 1024, others as is), or -1
   * when the line is absent. Lines look like `VmRSS:\t  1234 kB` or `Pss:   12 kB`.
   */
  parse(buf: Buffer, len: number, out: Float64Array): void {
    out.fill(-1);
    const keys = this.bytes;
    let left = keys.length;
    let pos = 0;
    while (pos < len && left > 0) {
      let end = buf.indexOf(10, pos); // native scan to the end of the line
      if (end < 0 || end > len) end = len;
      const candidates = this.byFirst.get(buf[pos] as number);
      if (candidates) {
        for (let j = 0; j < candidates.length; j++) {
          const i = candidates[j] as number;
          const key = keys[i] as Uint8Array;
          const klen = key.length;
          if (pos + klen >= end || buf[pos + klen] !== 58 /* : */) continue;
          let k = 1;
          while (k < klen && buf[pos + k] === key[k]) k++;
          if (k === klen) {
            if (out[i] === -1) left--;
            out[i] = parseValue(buf, pos + klen + 1, end);
            break;
          }
        }
      }
      pos = end + 1;
    }
  }
}

/** `   1234 kB` → 1263616; `  12` → 12. -1 when no digits. */
function parseValue(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && (buf[i] === 32 || buf[i] === 9)) i++;
  let v = 0;
  let digits = 0;
  while (i < to) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    digits++;
    i++;
  }
  if (digits === 0) return -1;
  while (i < to && buf[i] === 32) i++;
  if (i + 1 < to && buf[i] === 107 /* k */ && buf[i + 1] === 66 /* B */) v *= 1024;
  return v;
}

/** Fields we take from /proc/<pid>/status, in this order. */
export const STATUS_KEYS = new KeySet(["VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM", "VmSwap", "Threads"]);
/** Index of each STATUS_KEYS name in a parsed Float64Array. */
export const ST = { VmRSS: 0, RssAnon: 1, RssFile: 2, RssShmem: 3, VmHWM: 4, VmSwap: 5, Threads: 6 } as const;

/** Fields we take from /proc/<pid>/smaps_rollup, in this order. */
export const SMAPS_KEYS = new KeySet([
  "Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Shared_Clean", "Shared_Dirty",
  "Private_Clean", "Private_Dirty", "Swap", "SwapPss", "Anonymous",
]);
/** Index of each SMAPS_KEYS name in a parsed Float64Array. */
export const SM = {
  Rss: 0, Pss: 1, PssAnon: 2, PssFile: 3, PssShmem: 4, SharedClean: 5, SharedDirty: 6,
  PrivateClean: 7, PrivateDirty: 8, Swap: 9, SwapPss: 10, Anonymous: 11,
} as const;

/** The fields of /proc/<pid>/stat we use. */
export interface StatFields {
  state: number; // char code: R S D Z X T t I ...
  ppid: number;
  minflt: number;
  majflt: number;
  /** Clock ticks after boot: with the pid, the identity of a process incarnation. */
  starttime: number;
  /** Resident pages. */
  rssPages: number;
}

export const STATE_ZOMBIE = 90; // 'Z'
export const STATE_DEAD = 88; // 'X'
export const STATE_DEAD_OLD = 120; // 'x'

/**
 * Parse /proc/<pid>/stat into `out`. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so fields are counted from the last ')'. Returns false when the
 * content is not recognisable.
 */
export function parseStat(buf: Buffer, len: number, out: StatFields): boolean {
  let i = len - 1;
  while (i >= 0 && buf[i] !== 41 /* ) */) i--;
  if (i < 0) return false;
  i += 2; // skip ") "
  if (i >= len) return false;
  out.state = buf[i] as number;
  // field numbers as in proc(5): 3 = state, 4 = ppid, 10 = minflt, 12 = majflt, 22 = starttime, 24 = rss
  let field = 3;
  i += 1;
  let found = 0;
  while (i < len && field < 24) {
    while (i < len && buf[i] === 32) i++;
    field++;
    let v = 0;
    let neg = false;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    while (i < len) {
      const c = buf[i] as number;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    while (i < len && buf[i] !== 32 && buf[i] !== 10) i++; // tolerate odd tokens
    if (neg) v = -v;
    switch (field) {
      case 4: out.ppid = v; found++; break;
      case 10: out.minflt = v; found++; break;
      case 12: out.majflt = v; found++; break;
      case 22: out.starttime = v; found++; break;
      case 24: out.rssPages = v; found++; break;
    }
  }
  return found === 5;
}

export function newStatFields(): StatFields {
  return { state: 0, ppid: 0, minflt: 0, majflt: 0, starttime: 0, rssPages: 0 };
}

/** /proc/<pid>/statm: "size resident shared text lib data dt" in pages. */
export function parseStatm(buf: Buffer, len: number): { residentPages: number; sharedPages: number } | null {
  const out = { residentPages: 0, sharedPages: 0 };
  return parseStatmInto(buf, len, out) ? out : null;
}

/** parseStatm without allocating. False when fewer than three numbers. */
export function parseStatmInto(buf: Buffer, len: number, out: { residentPages: number; sharedPages: number }): boolean {
  let field = 0;
  let v = 0;
  let inNum = false;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? (buf[i] as number) : 32;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      inNum = true;
    } else if (inNum) {
      if (field === 1) out.residentPages = v;
      else if (field === 2) {
        out.sharedPages = v;
        return true;
      }
      field++;
      v = 0;
      inNum = false;
    }
  }
  return false;
}

/** Space-separated pids, as in /proc/<pid>/task/<tid>/children. Appends to `out`. */
export function parsePidList(buf: Buffer, len: number, out: number[]): void {
  let v = 0;
  let inNum = false;
  for (let i = 0; i < len; i++) {
    const c = buf[i] as number;
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      inNum = true;
    } else if (inNum) {
      out.push(v);
      v = 0;
      inNum = false;
    }
  }
  if (inNum) out.push(v);
}

/**
 * Names of POSIX shared-memory objects mapped by a process, from /proc/<pid>/maps lines such as
 * `7f..-7f.. rw-s 00000000 00:1a 123  /dev/shm/psm_1a2b3c` (optionally ` (deleted)`).
 */
export function parseShmMappings(maps: string): Set<string> {
  const names = new Set<string>();
  let from = 0;
  for (;;) {
    const at = maps.indexOf("/dev/shm/", from);
    if (at < 0) break;
    let end = maps.indexOf("\n", at);
    if (end < 0) end = maps.length;
    let name = maps.slice(at + 9, end);
    if (name.endsWith(" (deleted)")) name = name.slice(0, -10);
    if (name) names.add(name);
    from = end;
  }
  return names;
}
