// The profilers the suite compares, each run the same way (through bench/suite/measure.py), and
// what each one SAW in a run: children, copy bytes, its memory figure. Parsers read each tool's
// own output file: wmprof's profile JSON, Scalene's --json output, mprof's .dat.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import process from "node:process";

const MiB = 1024 * 1024;

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split("\n")[0] : null;
}

function which(name) {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Lines of `script` marked `# child-work`: code that only runs in child processes. */
export function childLines(script) {
  const lines = readFileSync(script, "utf8").split("\n");
  const out = new Set();
  lines.forEach((l, i) => {
    if (/#\s*child-work\s*$/.test(l)) out.add(i + 1);
  });
  return out;
}

export function makeTools({ python, root }) {
  const mprofBin = which("mprof") ?? (existsSync("/usr/bin/python3-mprof") ? "/usr/bin/python3-mprof" : null);
  const cli = join(root, "dist", "cli.js");
  return [
    {
      name: "plain",
      label: "plain python",
      version: () => firstLine(python, ["-c", "import sys; print(sys.version.split()[0])"]),
      available: () => (firstLine(python, ["-c", "print(1)"]) ? null : `${python} does not run`),
      argv: (script, args) => [python, script, ...args],
      seen: () => null,
    },
    {
      name: "wmprof",
      label: "wmprof run",
      version: () => JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version,
      available: () => (existsSync(cli) ? null : `${cli} is missing (npm run build)`),
      argv: (script, args, out) => [process.execPath, cli, "run", "--python", python, "--quiet", "--out", join(out, "profile.json"), script, ...args],
      seen: wmprofSeen,
    },
    {
      // The harness alone, without the node process: what the in-process hooks cost, apart from
      // what sharing 2 cores with the profiler's sampler and tailer costs. Not a product mode.
      name: "harness",
      label: "wmprof harness only (no node)",
      version: () => null,
      available: () => (existsSync(join(root, "harness", "python", "wmprof_run.py")) ? null : "harness/python/wmprof_run.py is missing"),
      argv: (script, args) => [python, join(root, "harness", "python", "wmprof_run.py"), script, ...args],
      env: (dir) => {
        const runDir = join(dir, "run");
        mkdirSync(runDir, { mode: 0o700 });
        const harness = join(root, "harness", "python");
        return { WMPROF_RUN_DIR: runDir, WMPROF_HARNESS_DIR: harness, PYTHONPATH: process.env.PYTHONPATH ? `${harness}:${process.env.PYTHONPATH}` : harness };
      },
      seen: () => null,
    },
    {
      name: "scalene",
      label: "Scalene",
      version: () => firstLine(python, ["-c", "from scalene.scalene_version import scalene_version as v; print(v)"]),
      available: () =>
        spawnSync(python, ["-c", "import scalene"]).status === 0 ? null : `Scalene is not installed for ${python} (Debian: apt-get install python3-scalene)`,
      // --cli --json --outfile: no browser, a machine-readable profile; program arguments after ---.
      // --program-path: Scalene 1.5.16 profiles only code under the *current directory* unless
      // told otherwise (its help says "the profiled program's directory"); the runs' cwd is a temp folder.
      argv: (script, args, out) => [python, "-m", "scalene", "--cli", "--json", "--outfile", join(out, "scalene.json"), "--program-path", dirname(script), script, ...(args.length ? ["---", ...args] : [])],
      seen: scaleneSeen,
    },
    {
      name: "mprof",
      label: "mprof",
      version: () => firstLine(python, ["-c", "import memory_profiler as m; print(m.__version__)"]),
      available: () => (mprofBin ? null : "mprof is not installed (Debian: apt-get install python3-memory-profiler)"),
      // mprof runs a .py target with its own interpreter (sys.executable of the mprof script: /usr/bin/python3 on Debian).
      argv: (script, args, out) => [mprofBin, "run", "--multiprocess", "--output", join(out, "mprof.dat"), script, ...args],
      seen: mprofSeen,
    },
  ];
}

/** wmprof: processes it tracked, copy bytes checked against the workload's ground truth, Σ PSS / Σ RSS peaks. */
export function wmprofSeen(dir, report) {
  const file = join(dir, "profile.json");
  if (!existsSync(file)) return { profile: false, note: "no profile written" };
  const p = JSON.parse(readFileSync(file, "utf8"));
  const procs = p.processes.filter((x) => x.tid === undefined);
  const kids = procs.filter((x) => x.role !== "main");
  const sends = p.copies.filter((c) => c.direction === "send" && c.channel !== "process-args");
  const procArgs = p.copies.filter((c) => c.direction === "send" && c.channel === "process-args");
  const bytes = sends.reduce((a, c) => a + c.bytes, 0);
  const messages = sends.reduce((a, c) => a + c.count, 0);
  let verdict = null;
  let exact = null;
  if (report?.truth) {
    const db = bytes - report.truth.bytes;
    const dm = messages - report.truth.messages;
    if (db === 0 && dm === 0) {
      verdict = "exact";
      exact = true;
    } else if (report.sentinelBytes && dm > 0 && db === dm * report.sentinelBytes) {
      verdict = `exact + ${dm} pool sentinel${dm === 1 ? "" : "s"} (${report.sentinelBytes} B each)`;
      exact = true;
    } else {
      verdict = `off by ${db > 0 ? "+" : ""}${db} B / ${dm > 0 ? "+" : ""}${dm} messages`;
      exact = false;
    }
    const killed = kids.filter((k) => k.exitCode === -15 || k.exitCode === -9).length;
    if (!exact && killed) verdict += ` (${killed} worker${killed === 1 ? "" : "s"} SIGTERMed by Pool.terminate(): counters since their last flush lost)`;
  }
  return {
    profile: true,
    processes: procs.length,
    children: kids.length,
    expectedChildren: report?.children ?? null,
    childRoles: [...new Set(kids.map((k) => `${k.role}${k.startMethod ? `/${k.startMethod}` : ""}`))],
    childrenWithMemory: kids.filter((k) => k.peak && typeof k.peak.rss === "number").length,
    copyBytes: bytes,
    copyMessages: messages,
    processArgsBytes: procArgs.reduce((a, c) => a + c.bytes, 0),
    truthBytes: report?.truth?.bytes ?? null,
    verdict,
    exact,
    peakPss: p.totals.peakPssSum,
    peakRss: p.totals.peakRssSum,
    memKind: "Σ PSS",
    mem: p.totals.peakPssSum,
    samples: p.stats?.samples ?? null,
    warnings: p.warnings?.length ?? 0,
  };
}

/** Scalene: did its profile attribute CPU to code only children run? Its memory figure is its own (malloc footprint of the profiled code). */
export function scaleneSeen(dir, report, w) {
  const file = join(dir, "scalene.json");
  if (!existsSync(file)) return { profile: false, note: "no output file" };
  let d;
  try {
    d = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return { profile: false, note: "unreadable output" };
  }
  const key = Object.keys(d.files ?? {}).find((k) => basename(k) === basename(w.scriptPath));
  const lines = key ? d.files[key].lines ?? [] : [];
  if (lines.length === 0) return { profile: false, note: "empty profile (\"did not run for long enough\")", footprintMb: d.max_footprint_mb ?? null };
  const kidLines = childLines(w.scriptPath);
  const cpu = (l) => (l.n_cpu_percent_python ?? 0) + (l.n_cpu_percent_c ?? 0);
  const cpuAll = lines.reduce((a, l) => a + cpu(l), 0);
  const cpuKids = lines.filter((l) => kidLines.has(l.lineno)).reduce((a, l) => a + cpu(l), 0);
  const mallocKids = lines.filter((l) => kidLines.has(l.lineno)).reduce((a, l) => a + (l.n_malloc_mb ?? 0), 0);
  const copyMbS = lines.reduce((a, l) => a + (l.n_copy_mb_s ?? 0), 0);
  return {
    profile: true,
    cpuPctOnChildLines: cpuKids,
    cpuPctAll: cpuAll,
    childCpuSeen: cpuKids > 0,
    mallocMbOnChildLines: mallocKids,
    copyMbPerS: copyMbS,
    footprintMb: d.max_footprint_mb ?? null,
    memKind: "max footprint (malloc)",
    mem: typeof d.max_footprint_mb === "number" ? d.max_footprint_mb * MiB : null,
    allocSamples: d.alloc_samples ?? null,
  };
}

/** mprof --multiprocess: MEM lines (the main process's RSS) each followed by CHLD lines (each child's RSS) of the same round. */
export function mprofSeen(dir, report) {
  const file = join(dir, "mprof.dat");
  if (!existsSync(file)) return { profile: false, note: "no .dat written" };
  const rounds = [];
  const kids = new Set();
  let peakMain = 0;
  let peakChild = 0;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[0] === "MEM") {
      const mb = Number(f[1]);
      rounds.push(mb);
      peakMain = Math.max(peakMain, mb);
    } else if (f[0] === "CHLD" && rounds.length) {
      const mb = Number(f[2]);
      kids.add(f[1]);
      rounds[rounds.length - 1] += mb;
      peakChild = Math.max(peakChild, mb);
    }
  }
  const peakSum = rounds.length ? Math.max(...rounds) : null;
  return {
    profile: rounds.length > 0,
    samples: rounds.length,
    children: kids.size,
    expectedChildren: report?.children ?? null,
    peakMainMb: peakMain,
    peakChildMb: peakChild,
    memKind: "Σ RSS (main + children, per round)",
    mem: peakSum === null ? null : peakSum * MiB,
  };
}

/**
 * A tool's own figure at a given moment (epoch ms), for the accuracy pass: wmprof's Σ PSS / Σ RSS
 * of the sampler tick nearest to it (every process's latest sample at that time), mprof's
 * MEM + CHLD round nearest to it. null when the tool has no time series.
 */
export function figureAt(tool, dir, epochMs) {
  if (tool === "wmprof") {
    const file = join(dir, "profile.json");
    if (!existsSync(file)) return null;
    const p = JSON.parse(readFileSync(file, "utf8"));
    const t = epochMs - Date.parse(p.startedAt);
    let pss = 0;
    let rss = 0;
    let n = 0;
    const perPid = {};
    for (const proc of p.processes) {
      if (proc.tid !== undefined) continue;
      let best = null;
      for (const s of proc.samples) if (s.t <= t && (!best || s.t > best.t)) best = s;
      if (!best || (proc.endedAt !== null && proc.endedAt < t)) continue;
      pss += best.pss ?? 0;
      rss += best.rss ?? 0;
      perPid[proc.pid] = { pss: best.pss, rss: best.rss, sampledAt: best.t, ageMs: t - best.t };
      n++;
    }
    return { pss, rss, processes: n, perPid };
  }
  if (tool === "mprof") {
    const file = join(dir, "mprof.dat");
    if (!existsSync(file)) return null;
    let best = null;
    let cur = null;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const f = line.trim().split(/\s+/);
      if (f[0] === "MEM") {
        cur = { t: Number(f[2]) * 1000, rss: Number(f[1]) * MiB, processes: 1 };
        if (cur.t <= epochMs) best = cur;
      } else if (f[0] === "CHLD" && cur) {
        cur.rss += Number(f[2]) * MiB;
        cur.processes++;
      }
    }
    return best ? { rss: best.rss, processes: best.processes } : null;
  }
  return null;
}
