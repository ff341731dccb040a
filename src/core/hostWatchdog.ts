/**
 * Ends a run when the process that launched it dies without finishing it (the extension host killed
 * or crashed: `deactivate` never runs). A tiny detached Node process holds the read end of a pipe
 * from the host; the kernel closes the write end when the host dies, however it dies. EOF without a
 * "done" line means the host is gone, and the watchdog ends the run as Stop would: SIGINT to the root
 * so the harness writes its last counters, then SIGTERM and SIGKILL to every process of the run.
 * The run folder is left in place and marked, so the extension offers the recovered profile when it
 * starts again (and `wmprof recover` can rebuild it too).
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { join } from "node:path";
import { packageRoot } from "./paths";
import { markInterrupted } from "./interruptedRuns";
import { isAlive } from "./procfs";
import { runStragglers, signalRun, STOP_INT_GRACE_MS, STOP_TERM_GRACE_MS } from "./processTree";

export interface HostWatchdog {
  /** The run ended normally: the watchdog exits without touching anything. */
  release(): void;
}

const DONE = "done\n";

/** Starts the watchdog for a launched run; undefined when it cannot start (the run goes on unguarded). */
export function startHostWatchdog(root: number, runDir: string): HostWatchdog | undefined {
  try {
    // process.execPath is Electron in desktop VS Code; ELECTRON_RUN_AS_NODE makes it plain Node.
    const child = spawn(process.execPath, [join(packageRoot(), "dist", "watchdog.js"), String(root), runDir], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
    });
    child.on("error", () => undefined);
    child.stdin?.on("error", () => undefined);
    // Neither the child nor the pipe may keep the host's event loop alive (the CLI's, in tests).
    child.unref();
    (child.stdin as Socket | null)?.unref();
    return { release: () => child.stdin?.end(DONE) };
  } catch {
    return undefined;
  }
}

/** The watchdog process's main: `node dist/watchdog.js ROOT_PID RUN_DIR`, stdin from the host. */
export function watchdogMain(argv: string[]): void {
  const root = Number(argv[0]);
  const runDir = argv[1] ?? "";
  if (!(root > 0) || !runDir) process.exit(2);
  let said = "";
  process.stdin.on("data", (d: Buffer) => (said += d.toString()));
  const onEnd = (): void => {
    if (said.includes(DONE)) process.exit(0);
    markInterrupted(runDir);
    void endRun(root, runDir).then(() => process.exit(0));
  };
  process.stdin.on("end", onEnd);
  process.stdin.on("error", onEnd);
}

/** SIGINT, then SIGTERM, then SIGKILL, each after a grace period unless the run is already gone. */
export async function endRun(root: number, runDir: string): Promise<void> {
  const gone = (): boolean => !isAlive(root) && runStragglers(root, runDir).length === 0;
  try {
    process.kill(root, "SIGINT");
  } catch {
    /* already gone */
  }
  for (const [sig, grace] of [["SIGTERM", STOP_INT_GRACE_MS], ["SIGKILL", STOP_TERM_GRACE_MS]] as const) {
    const until = Date.now() + grace;
    while (Date.now() < until && !gone()) await sleep(100);
    if (gone()) return;
    signalRun(root, runDir, sig, { group: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
