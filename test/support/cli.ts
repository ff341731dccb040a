/** Runs the built CLI (dist/cli.js) on scripts the test writes, and reads back the profile. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Profile } from "../../src/protocol/profile";

export const ROOT = resolve(__dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  profile: Profile | null;
  out: string;
}

export function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-test-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function runCli(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; out?: string; onSpawn?: (pid: number) => void }): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` first");
  const out = opts.out ?? join(opts.cwd, "profile.json");
  const full = args[0] === "run" ? ["run", "--out", out, ...args.slice(1)] : args;
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...full], { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    if (child.pid && opts.onSpawn) opts.onSpawn(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => {
      const profile = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as Profile) : null;
      done({ code, signal, stdout, stderr, profile, out });
    });
  });
}

/** Python interpreters to test against: the default plus the oldest and newest pyenv ones present. */
export function pythons(): Array<{ label: string; exe: string }> {
  const out = [{ label: "python3", exe: "python3" }];
  const root = process.env.PYENV_ROOT ?? join(process.env.HOME ?? "/root", ".pyenv");
  for (const v of ["3.8", "3.13"]) {
    const exe = join(root, "versions", pyenvVersion(root, v) ?? "none", "bin", "python3");
    if (existsSync(exe)) out.push({ label: `python${v}`, exe });
    else console.log(`# skipping Python ${v}: not installed under ${root}`);
  }
  return out;
}

function pyenvVersion(root: string, prefix: string): string | undefined {
  try {
    return readdirSync(join(root, "versions")).filter((v) => v === prefix || v.startsWith(prefix + ".")).sort().pop();
  } catch {
    return undefined;
  }
}

export function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((a, x) => a + f(x), 0);
}
