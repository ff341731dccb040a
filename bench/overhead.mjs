// Harness overhead: bench/pipe_roundtrip.py run plainly (A) and under the wmprof runner (B),
// interleaved A/B/A/B, with a fresh run folder and the core's environment for every B run.
//
//   node bench/overhead.mjs [--python python3] [--runs 7] [--n 50000] [--method fork] [--json]
//
// Prints, for the wall time of the whole process, the wall time of the timed loop alone and the
// CPU time both processes spent in the loop, the medians, the median ratio B/A and its spread
// (min..max of the per-pair ratios). Load on the machine widens the wall-time spread a lot; the
// CPU-time ratio is much steadier and bounds the idle-machine wall ratio from above (the loop's
// wall time is its CPU time plus wake-up latencies the harness does not change).
import { spawnSync } from "node:child_process";
import console from "node:console";
import process from "node:process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HARNESS = join(ROOT, "harness", "python");
const RUNNER = join(HARNESS, "wmprof_run.py");
const SCRIPT = join(ROOT, "bench", "pipe_roundtrip.py");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const python = option("python", "python3");
const runs = Math.max(5, Number(option("runs", "7")));
const n = Number(option("n", "50000"));
const method = option("method", "fork");
const asJson = process.argv.includes("--json");

function once(instrumented) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("WMPROF_")) delete env[k];
  let runDir = null;
  let args = [SCRIPT, String(n), method];
  if (instrumented) {
    runDir = mkdtempSync(join(tmpdir(), "wmprof-run-"));
    env.WMPROF_RUN_DIR = runDir;
    env.WMPROF_HARNESS_DIR = HARNESS;
    env.PYTHONPATH = env.PYTHONPATH ? `${HARNESS}:${env.PYTHONPATH}` : HARNESS;
    args = [RUNNER, ...args];
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(python, args, { env, encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`${python} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  return { wall, loop: out.loopSeconds, cpu: out.cpuSeconds };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const version = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).stdout.trim();
once(false); // warm the page cache and the .pyc files of both sides
once(true);
const plain = [];
const wm = [];
for (let i = 0; i < runs; i++) {
  plain.push(once(false));
  wm.push(once(true));
}

function summary(key) {
  const a = plain.map((x) => x[key]);
  const b = wm.map((x) => x[key]);
  const pairs = a.map((x, i) => b[i] / x);
  return {
    plainMedian: median(a),
    wmprofMedian: median(b),
    ratio: median(b) / median(a),
    pairRatioMedian: median(pairs),
    pairRatioMin: Math.min(...pairs),
    pairRatioMax: Math.max(...pairs),
  };
}

const result = {
  python: `${python} (${version})`,
  method,
  roundTrips: n,
  runs,
  cpus: cpus().length,
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  wall: summary("wall"),
  loop: summary("loop"),
  cpu: summary("cpu"),
};

if (asJson) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const f = (x) => x.toFixed(3);
  console.log(`${result.python}, ${n} ${method} Pipe round trips, ${runs} runs each (A/B interleaved), ${result.cpus} CPUs, load ${result.loadavg.join(" ")}`);
  for (const key of ["wall", "loop", "cpu"]) {
    const s = result[key];
    console.log(
      `${key.padEnd(4)}  plain ${f(s.plainMedian)} s  wmprof ${f(s.wmprofMedian)} s  ratio ${f(s.ratio)}  ` +
        `(per-pair median ${f(s.pairRatioMedian)}, spread ${f(s.pairRatioMin)}..${f(s.pairRatioMax)})`,
    );
  }
}
