/**
 * `wmprof demo`: profiles every bundled example (one per way of sharing a large read-only array
 * with workers), then prints the comparison and writes the profiles and one HTML report.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Profile } from "../protocol/profile";
import { renderComparison } from "../core/compare";
import { WmprofError } from "../core/errors";
import { formatBytes, formatDuration } from "../core/format";
import { packageRoot } from "../core/paths";
import { writeProfileFile } from "../core/profileFile";
import { DEFAULT_PYTHON_CANDIDATES, resolvePython } from "../core/python";
import { ProfileSession } from "../core/session";
import type { DemoArgs } from "./args";
import { writeComparisonHtml } from "./html";

/** Examples opt in with a `# demo-args: ...` line in their header (and `# demo-quick-args:`). */
export function demoExamples(dir: string, quick: boolean): Array<{ path: string; args: string[] }> {
  const out: Array<{ path: string; args: string[] }> = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".py")) continue;
    const path = join(dir, name);
    const text = readFileSync(path, "utf8");
    const m = (quick && /^# demo-quick-args:(.*)$/m.exec(text)) || /^# demo-args:(.*)$/m.exec(text);
    if (!m) continue;
    out.push({ path, args: m[1]!.trim().split(/\s+/).filter(Boolean) });
  }
  return out;
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${done}/${total}`;
}

export async function runDemo(args: DemoArgs): Promise<number> {
  const examples = demoExamples(join(packageRoot(), "examples"), args.quick);
  if (examples.length === 0) throw new WmprofError("No demo examples found in examples/.");
  const outDir = resolve(args.out);
  mkdirSync(outDir, { recursive: true });
  const py = await resolvePython(args.python ? [args.python] : DEFAULT_PYTHON_CANDIDATES);
  const err = process.stderr;
  err.write(`wmprof demo: ${examples.length} ways to share one read-only array with workers (Python ${py.version})\n`);
  const profiles: Profile[] = [];
  let failures = 0;
  for (const [i, ex] of examples.entries()) {
    const name = basename(ex.path, ".py");
    const session = await ProfileSession.start({
      target: { kind: "script", path: ex.path }, args: ex.args, python: py.executable, pythonVersion: py.version, stdio: "pipe",
    });
    let captured = "";
    session.on("stdout", (d) => (captured += d.toString()));
    session.on("stderr", (d) => (captured += d.toString()));
    const line = (s: { elapsedMs: number; processes: number; bytesCopied: number }) =>
      `\r\x1b[2K${bar(i, examples.length)} ${name} · ${formatDuration(s.elapsedMs)} · ${s.processes} proc · ${formatBytes(s.bytesCopied)} copied`;
    if (err.isTTY) session.on("update", (s) => err.write(line(s)));
    const profile = await session.done;
    if (err.isTTY) err.write("\r\x1b[2K");
    const status = profile.exitCode === 0 ? "ok" : `exit ${profile.exitCode}`;
    err.write(`${bar(i + 1, examples.length)} ${name}: ${status}, ${formatDuration(profile.wallMs)}, ${formatBytes(profile.totals.bytesSent)} copied\n`);
    if (profile.exitCode !== 0) {
      failures++;
      err.write(captured.split("\n").slice(-6).map((l) => `    ${l}`).join("\n") + "\n");
    }
    writeProfileFile(join(outDir, `${name}.json`), profile);
    profiles.push(profile);
  }
  process.stdout.write("\n" + renderComparison(profiles) + "\n\n");
  const report = writeComparisonHtml(profiles, join(outDir, "report.html"));
  process.stdout.write(`Profiles: ${outDir}/*.json\nReport:   ${report}\n`);
  return failures === 0 ? 0 : 1;
}
