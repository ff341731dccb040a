/**
 * Rebuilds a profile from a run folder alone: after the profiler died, or to re-read a finished
 * run. Everything the processes flushed is there; what the sampler saw from outside is not.
 */
import { statSync } from "node:fs";
import { platform } from "node:os";
import type { Profile } from "../protocol/profile";
import { WmprofError } from "./errors";
import { finalizeProfile } from "./finalize";
import { ProfileModel } from "./model";
import { readRunInfo, RunDirTailer } from "./runDir";
import { version as toolVersion } from "../../package.json";

export function recoverProfile(runDir: string): Profile {
  let st;
  try {
    st = statSync(runDir);
  } catch {
    throw new WmprofError(`Run folder not found: ${runDir}`);
  }
  if (!st.isDirectory()) throw new WmprofError(`${runDir} is not a folder; pass the wmprof-run-… folder of a run.`);
  const info = readRunInfo(runDir);
  const model = new ProfileModel({ startedAtMs: info.startedAtMs });
  const tailer = new RunDirTailer(runDir, (line) => model.ingestLine(line));
  tailer.finish();
  const draft = model.toProfile({
    runtime: info.runtime, command: info.command, cwd: info.cwd, python: info.python, exitCode: null, wallMs: 0,
    complete: false, warnings: ["recovered from the run folder: memory samples and the exit code seen by the profiler are missing", ...tailer.warnings()],
    capabilities: { platform: platform(), pss: false, uss: false, heap: false, tracemalloc: false }, toolVersion,
  });
  // The main process's own `bye` (if it got that far) has its exit code; the last event gives the wall time.
  const main = draft.processes.find((p) => p.role === "main");
  const lastT = Math.max(0, ...draft.processes.map((p) => p.endedAt ?? p.startedAt), ...draft.processes.flatMap((p) => p.heap.map((h) => h.t)));
  return finalizeProfile({ ...draft, exitCode: main?.exitCode ?? null, wallMs: Math.round(lastT) });
}
