/** Small /proc helpers for process-tree bookkeeping (Linux; elsewhere they find nothing). */
import { readdirSync, readFileSync } from "node:fs";

/** Parses /proc/<pid>/stat; the comm field may contain spaces and parentheses. */
export function readPpid(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "latin1");
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return Number(rest[1]);
  } catch {
    return null;
  }
}

export function listPids(): number[] {
  try {
    return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/** Every live descendant of `root` (not including it), from one /proc scan. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of listPids()) {
    const ppid = readPpid(pid);
    if (ppid === null) continue;
    let c = children.get(ppid);
    if (!c) children.set(ppid, (c = []));
    c.push(pid);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/**
 * Processes whose environment carries this run's marker: catches children that escaped the tree
 * (orphans reparented to init, `setsid`, daemons). Only our own processes' environ is readable.
 */
export function pidsWithEnv(marker: string): number[] {
  const needle = Buffer.from(marker);
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(needle)) out.push(pid);
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "latin1");
    return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3) !== "Z";
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
