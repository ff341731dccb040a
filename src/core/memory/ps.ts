/**
 * Degraded sampling where there is no /proc (macOS): one `ps -A -o pid=,ppid=,rss=` per tick gives
 * RSS and the process tree for every process at once. No PSS, USS, private/shared split or fault
 * counters: those fields stay null and capabilities say so.
 */
import { execFileSync } from "node:child_process";

export interface PsRow {
  pid: number;
  ppid: number;
  /** Bytes. */
  rss: number;
}

/** Parse `ps -A -o pid=,ppid=,rss=` output (rss in KiB). Malformed lines are skipped. */
export function parsePsOutput(text: string): Map<number, PsRow> {
  const rows = new Map<number, PsRow>();
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 3) continue;
    const pid = Number(parts[0]);
    const ppid = Number(parts[1]);
    const rssKb = Number(parts[2]);
    if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !Number.isFinite(rssKb)) continue;
    rows.set(pid, { pid, ppid, rss: rssKb * 1024 });
  }
  return rows;
}

export function runPs(): string {
  return execFileSync("ps", ["-A", "-o", "pid=,ppid=,rss="], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
}
