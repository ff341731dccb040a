/**
 * Runs whose launcher died mid-run (the extension host killed): the host watchdog marks the run
 * folder before it ends the run, and the extension offers the recovered profile when it starts again.
 */
import { readdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRunInfo, type RunInfo } from "./runDir";

const INTERRUPTED_FILE = "interrupted.json";
const RECOVERED_FILE = "recovered.json";

export interface InterruptedRun {
  dir: string;
  info: RunInfo;
}

/** Called by the watchdog before it signals anything, so the mark survives whatever follows. */
export function markInterrupted(runDir: string): void {
  try {
    writeFileSync(join(runDir, INTERRUPTED_FILE), JSON.stringify({ reason: "launcher-exited", at: new Date().toISOString() }) + "\n", { mode: 0o600, flag: "wx" });
  } catch {
    /* the folder is gone or unwritable: nothing to offer later */
  }
}

/** Marked run folders under `parent`, newest first. Unreadable or foreign folders are skipped. */
export function interruptedRuns(parent = tmpdir()): InterruptedRun[] {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith("wmprof-run-"));
  } catch {
    return [];
  }
  const out: InterruptedRun[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    try {
      if (!readdirSync(dir).includes(INTERRUPTED_FILE)) continue;
      out.push({ dir, info: readRunInfo(dir) });
    } catch {
      /* not ours, or not a run folder */
    }
  }
  return out.sort((a, b) => b.info.startedAtMs - a.info.startedAtMs);
}

/** The profile was recovered: keep the folder (the logs are the evidence) but stop offering it. */
export function markRecovered(runDir: string): void {
  try {
    renameSync(join(runDir, INTERRUPTED_FILE), join(runDir, RECOVERED_FILE));
  } catch {
    /* already handled */
  }
}
