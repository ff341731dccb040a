/**
 * Argument parsing for `wmprof`. Options come before the target; everything after the script (or
 * `-m MODULE`) belongs to the script, like `python` itself and `memray run`.
 */
import { WmprofError } from "../core/errors";
import type { Target } from "../core/target";

export interface RunArgs {
  cmd: "run";
  target: Target;
  args: string[];
  out?: string;
  html?: string;
  python?: string;
  node?: string;
  intervalMs?: number;
  tracemalloc: boolean;
  quiet: boolean;
  keepRunDir: boolean;
  maxProcesses?: number;
}
export interface ReportArgs { cmd: "report"; profile: string; html?: string }
export interface CompareArgs { cmd: "compare"; profiles: string[]; html?: string }
export interface RecoverArgs { cmd: "recover"; runDir: string; out?: string; html?: string }
export interface DemoArgs { cmd: "demo"; out: string; python?: string; quick: boolean }
export type CliArgs = RunArgs | ReportArgs | CompareArgs | RecoverArgs | DemoArgs | { cmd: "help" } | { cmd: "version" };

export const USAGE = `usage: wmprof <command> [options]

commands:
  run [options] SCRIPT [ARGS...]    profile a Python script (or -m MODULE [ARGS...]) or a Node.js script
      --out FILE          profile JSON to write (default: wmprof-<script>.json)
      --html FILE         also write a self-contained HTML report
      --python PATH       interpreter (default: python3, then python)
      --node PATH         Node.js for .js/.mjs/.cjs targets (default: node on PATH)
      --interval MS       memory sample interval, 1-60000 (default: 50, adaptive down to 10)
      --tracemalloc       also record tracemalloc figures (slows allocation-heavy code)
      --max-processes N   stop tracking new processes beyond N
      --quiet             no progress line and no summary
      --keep-run-dir      keep the raw event logs (the run folder) after the run
  report PROFILE.json [--html FILE]         print the summary of a saved profile
  compare A.json B.json ... [--html FILE]   compare profiles side by side
  recover RUN_DIR [--out FILE] [--html FILE] rebuild a profile from a run folder
  demo [--out DIR] [--quick]                 profile every bundled example and compare them
  --help, --version`;

function need(argv: string[], i: number, flag: string): string {
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new WmprofError(`${flag} needs a value. Run wmprof --help.`);
  return v;
}

function positiveInt(v: string, flag: string, max: number): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n >= 1 && n <= max)) throw new WmprofError(`Invalid ${flag} "${v}": use a number from 1 to ${max}.`);
  return n;
}

export function parseArgs(argv: string[]): CliArgs {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case "-h":
    case "--help":
    case "help":
      return { cmd: "help" };
    case "-V":
    case "--version":
      return { cmd: "version" };
    case "run":
      return parseRun(rest);
    case "report": {
      const { positional, html } = parseSimple(rest, ["--html"]);
      if (positional.length !== 1) throw new WmprofError("usage: wmprof report PROFILE.json [--html FILE]");
      return { cmd: "report", profile: positional[0]!, html };
    }
    case "compare": {
      const { positional, html } = parseSimple(rest, ["--html"]);
      if (positional.length < 1) throw new WmprofError("usage: wmprof compare A.json B.json ... [--html FILE]");
      return { cmd: "compare", profiles: positional, html };
    }
    case "recover": {
      const { positional, html, out } = parseSimple(rest, ["--html", "--out"]);
      if (positional.length !== 1) throw new WmprofError("usage: wmprof recover RUN_DIR [--out FILE] [--html FILE]");
      return { cmd: "recover", runDir: positional[0]!, html, out };
    }
    case "demo": {
      const quick = rest.includes("--quick");
      const { positional, out, python } = parseSimple(rest.filter((a) => a !== "--quick"), ["--out", "--python"]);
      if (positional.length) throw new WmprofError("usage: wmprof demo [--out DIR] [--quick] [--python PATH]");
      return { cmd: "demo", out: out ?? "wmprof-demo", python, quick };
    }
    default:
      throw new WmprofError(`Unknown command "${cmd}". Run wmprof --help.`);
  }
}

function parseSimple(argv: string[], flags: string[]): { positional: string[]; html?: string; out?: string; python?: string } {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (flags.includes(a)) {
      values[a] = need(argv, i, a);
      i++;
    } else if (a.startsWith("--")) {
      throw new WmprofError(`Unknown option ${a}. Run wmprof --help.`);
    } else positional.push(a);
  }
  return { positional, html: values["--html"], out: values["--out"], python: values["--python"] };
}

function parseRun(argv: string[]): RunArgs {
  const r: Partial<RunArgs> & { tracemalloc: boolean; quiet: boolean; keepRunDir: boolean } = { tracemalloc: false, quiet: false, keepRunDir: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case "--out": r.out = need(argv, i++, a); continue;
      case "--html": r.html = need(argv, i++, a); continue;
      case "--python": r.python = need(argv, i++, a); continue;
      case "--node": r.node = need(argv, i++, a); continue;
      case "--interval": r.intervalMs = positiveInt(need(argv, i++, a), a, 60_000); continue;
      case "--max-processes": r.maxProcesses = positiveInt(need(argv, i++, a), a, 100_000); continue;
      case "--tracemalloc": r.tracemalloc = true; continue;
      case "--keep-run-dir": r.keepRunDir = true; continue;
      case "--quiet": case "-q": r.quiet = true; continue;
      case "-m": {
        const name = argv[i + 1];
        if (!name) throw new WmprofError("-m needs a module name. Run wmprof --help.");
        return { ...r, cmd: "run", target: { kind: "module", name }, args: argv.slice(i + 2) };
      }
      case "--":
        if (argv[i + 1] === undefined) break;
        return { ...r, cmd: "run", target: { kind: "script", path: argv[i + 1]! }, args: argv.slice(i + 2) };
      default:
        if (a.startsWith("-")) throw new WmprofError(`Unknown option ${a}. Run wmprof --help.`);
        return { ...r, cmd: "run", target: { kind: "script", path: a }, args: argv.slice(i + 1) };
    }
  }
  throw new WmprofError("wmprof run needs a script to profile: wmprof run [options] SCRIPT [ARGS...]");
}
