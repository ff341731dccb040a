/** Helpers for the reliability tests: run a script plainly and under `wmprof run`, and compare. */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, runCli, type CliResult } from "../support/cli";

export const PY313 = "/root/.pyenv/versions/3.13.0/bin/python3";
export const PY38 = "/root/.pyenv/versions/3.8.18/bin/python3";
export const PY37 = "/root/.pyenv/versions/3.7.16/bin/python3";

/** python3, plus 3.8 and 3.13 where installed. */
export function interpreters(): string[] {
  return ["python3", PY38, PY313].filter((p) => p === "python3" || existsSync(p));
}

export interface Plain { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function runPlain(python: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Plain> {
  return new Promise((done) => {
    const e = { ...process.env, ...env };
    delete e.WMPROF_RUN_DIR;
    const child = spawn(python, args, { cwd, env: e });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

export function runWm(python: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return runCli(["run", "--quiet", "--python", python, ...args], { cwd, env });
}

/** The script's own stderr from a `wmprof run`: without the CLI's "profile written" line. */
export function scriptStderr(s: string): string {
  return s.replace(/^wmprof: profile written to .*\n/gm, "");
}

/**
 * Drops traceback entries of the harness's own wrappers (`_wmprof_harness/…`): an exception raised
 * inside a hooked call (e.g. pickling in a Queue's feeder thread) shows one extra frame. Its type,
 * message and effect are unchanged. Documented in docs/guarantees.md.
 */
export function withoutHarnessFrames(s: string): string {
  return s.replace(/^ {2}File "[^"]*_wmprof_harness[^"]*", line \d+, in \w+\n(?: {4}.*\n)*/gm, "");
}

/** Removes what legitimately differs between two runs: pids, addresses, temp names. */
export function normalize(s: string): string {
  return withoutHarnessFrames(s)
    .replace(/0x[0-9a-f]+/gi, "0xADDR")
    .replace(/pid[= ]\d+/gi, "pid=N")
    .replace(/\/tmp\/[\w.-]+/g, "/tmp/X")
    .replace(/(Process|ForkPoolWorker|SpawnPoolWorker|ForkServerPoolWorker|SyncManager)-\d+(:\d+)*/g, "$1-N");
}

export function readProfileText(r: CliResult): string {
  return existsSync(r.out) ? readFileSync(r.out, "utf8") : "";
}

export { CLI, join };
