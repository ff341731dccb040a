/** `wmprof`: the terminal face of the profiler. Every error is one line on stderr with a non-zero exit. */
import "./v8Tuning"; // first: before any other module runs
import { existsSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { describeError, WmprofError } from "../core/errors";
import { readProfileFile, writeProfileFile } from "../core/profileFile";
import { DEFAULT_PYTHON_CANDIDATES, resolvePython } from "../core/python";
import { recoverProfile } from "../core/recover";
import { ProfileSession } from "../core/session";
import { isNodeTarget } from "../core/target";
import { DEFAULT_NODE_CANDIDATES, resolveNode } from "../core/nodeRuntime";
import { renderSummary } from "../core/summary";
import { parseArgs, USAGE, type RunArgs } from "./args";
import { ProgressLine } from "./progress";
import { writeHtmlReport, writeComparisonHtml } from "./html";
import { renderComparison } from "../core/compare";
import { runDemo } from "./demo";
import { version } from "../../package.json";

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  switch (args.cmd) {
    case "help":
      process.stdout.write(USAGE + "\n");
      return 0;
    case "version":
      process.stdout.write(`wmprof ${version}\n`);
      return 0;
    case "run":
      return run(args);
    case "report": {
      const profile = readProfileFile(args.profile);
      process.stdout.write(renderSummary(profile) + "\n");
      if (args.html) reportWritten(writeHtmlReport(profile, args.html));
      return 0;
    }
    case "compare": {
      const profiles = args.profiles.map(readProfileFile);
      process.stdout.write(renderComparison(profiles) + "\n");
      if (args.html) reportWritten(writeComparisonHtml(profiles, args.html));
      return 0;
    }
    case "recover": {
      const profile = recoverProfile(args.runDir);
      const out = resolve(args.out ?? `wmprof-recovered-${basename(args.runDir)}.json`);
      writeProfileFile(out, profile);
      process.stdout.write(renderSummary(profile) + "\n");
      process.stderr.write(`wmprof: recovered profile written to ${out}\n`);
      if (args.html) reportWritten(writeHtmlReport(profile, args.html));
      return 0;
    }
    case "demo":
      return runDemo(args);
  }
}

/** The core's messages are face-neutral; the CLI adds which flag fixes them. */
function hintFor(err: unknown): string {
  if (!(err instanceof WmprofError)) return "";
  if (/^No Python|^Cannot start/.test(err.message)) return " Pass --python PATH.";
  if (/^No Node\.js/.test(err.message)) return " Pass --node PATH.";
  return "";
}

function reportWritten(path: string): void {
  process.stderr.write(`wmprof: HTML report written to ${path}\n`);
}

export function defaultOutPath(args: Pick<RunArgs, "target">): string {
  const stem = args.target.kind === "module" ? args.target.name : basename(args.target.path, extname(args.target.path));
  return resolve(`wmprof-${stem.replace(/[^\w.-]+/g, "_") || "profile"}.json`);
}

async function run(args: RunArgs): Promise<number> {
  // Absolute before anything runs: the script may chdir.
  const out = args.out ? resolve(args.out) : defaultOutPath(args);
  const html = args.html ? resolve(args.html) : undefined;
  if (args.target.kind === "script" && !existsSync(resolve(args.target.path))) {
    throw new WmprofError(`Script not found: ${resolve(args.target.path)}`);
  }
  const py = isNodeTarget(args.target)
    ? await resolveNode(args.node ? [args.node] : DEFAULT_NODE_CANDIDATES)
    : await resolvePython(args.python ? [args.python] : DEFAULT_PYTHON_CANDIDATES);
  const session = await ProfileSession.start({
    target: args.target, args: args.args, python: py.executable, pythonVersion: py.version,
    intervalMs: args.intervalMs, tracemalloc: args.tracemalloc, maxProcesses: args.maxProcesses, stdio: "inherit",
    keepRunDir: args.keepRunDir,
  });
  const progress = new ProgressLine();
  if (!args.quiet) session.on("update", (s) => s.state === "running" && progress.update(s));
  // Ctrl-C reaches the script through the terminal; we stay alive to write the profile.
  const onInt = () => {};
  const onTerm = () => void session.stop();
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  process.on("SIGHUP", onTerm);
  const profile = await session.done;
  progress.clear();
  writeProfileFile(out, profile);
  if (!args.quiet) process.stderr.write("\n" + renderSummary(profile) + "\n");
  process.stderr.write(`wmprof: profile written to ${out}\n`);
  if (args.keepRunDir) process.stderr.write(`wmprof: event logs kept in ${session.runDir}\n`);
  if (html) reportWritten(writeHtmlReport(profile, html));
  process.off("SIGINT", onInt);
  const code = profile.exitCode;
  if (code === null) return 1;
  if (code < 0) return 128 + -code;
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wmprof: ${describeError(err)}${hintFor(err)}\n`);
    process.exitCode = err instanceof WmprofError ? err.exitCode : 70;
  },
);

