/**
 * A run's processes as one unit: the launched root, its descendants, and every process that carries
 * the run's marker in its environment (orphans, `setsid`, daemons). Stop and the host watchdog both
 * end a run through here, so they find exactly the same processes.
 */
import { descendants, isAlive, pidsWithEnv } from "./procfs";

/** Stop's escalation: SIGINT to the root, SIGTERM to the run after this, SIGKILL after that much more. */
export const STOP_INT_GRACE_MS = 1000;
export const STOP_TERM_GRACE_MS = 1500;

/** The environment entry every profiled process of a run inherits (the harness sets nothing else). */
export const runMarker = (runDir: string): string => `WMPROF_RUN_DIR=${runDir}`;

/** Live processes of the run other than the root, found by marker plus any pids the caller knows. */
export function runStragglers(root: number | undefined, runDir: string, known: Iterable<number> = []): number[] {
  const pids = new Set<number>(pidsWithEnv(runMarker(runDir)));
  for (const p of known) if (p !== root) pids.add(p);
  return [...pids].filter((p) => isAlive(p));
}

/**
 * Sends `sig` to the root, its process group (when it leads one), its descendants and the stragglers.
 * Every kill tolerates a process that is already gone.
 */
export function signalRun(root: number, runDir: string, sig: NodeJS.Signals, opts: { group: boolean; known?: Iterable<number> }): void {
  if (opts.group) trySignal(-root, sig);
  for (const pid of new Set<number>([root, ...descendants(root), ...runStragglers(root, runDir, opts.known)])) trySignal(pid, sig);
}

function trySignal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
