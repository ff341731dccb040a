// Harness overhead: bench/pipe_roundtrip.py run plainly (A) and under the wmprof runner (B),
// interleaved A/B/A/B, with a fresh run folder and the core's environment for every B run.
//
//   node bench/overhead.mjs [--python python3] [--runs 7] [--n 50000] [--method fork] [--json]
//   node bench/overhead.mjs --instructions [--python python3] [--method fork] [--workload pipe|queue] [--json]
//
// Prints, for the wall time of the whole process, the wall time of the timed loop alone and the
// CPU time both processes spent in the loop, the medians, the median ratio B/A and its spread
// (min..max of the per-pair ratios). Load on the machine widens the wall-time spread a lot; the
// CPU-time ratio is much steadier and bounds the idle-machine wall ratio from above (the loop's
// wall time is its CPU time plus wake-up latencies the harness does not change).
//
// --instructions counts user-space instructions with valgrind's callgrind instead (both
// processes, two loop lengths, the difference per round trip): deterministic, so it is the
// number to compare on a shared or loaded machine. The harness's "hot site" thresholds are
// scaled for valgrind's slowdown (WMPROF_HOT_SCALE) so that it samples as it would natively.
// --workload queue counts bench/suite/workloads/b_queue.py instead (Queue round trips: put, the
// feeder thread, get; the default start method). Instruction counts miss what costs cycles
// without instructions: the +12-14 % a Pool worker once lost to a heap layout (see
// harness/python/_wmprof_harness/__init__.py, I_SEC) showed as +2 % instructions.
import { spawnSync } from "node:child_process";
import console from "node:console";
import process from "node:process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HARNESS = join(ROOT, "harness", "python");
const RUNNER = join(HARNESS, "wmprof_run.py");
const WORKLOADS = {
  pipe: { script: join(ROOT, "bench", "pipe_roundtrip.py"), argv: (n) => [String(n), method], what: "Pipe" },
  queue: { script: join(ROOT, "bench", "suite", "workloads", "b_queue.py"), argv: (n) => [String(n)], what: "Queue" },
};

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const python = option("python", "python3");
const runs = Math.max(5, Number(option("runs", "7")));
const n = Number(option("n", "50000"));
const method = option("method", "fork");
const asJson = process.argv.includes("--json");
const instructions = process.argv.includes("--instructions");
const workload = WORKLOADS[option("workload", "pipe")];
if (!workload || (!instructions && workload !== WORKLOADS.pipe)) {
  console.error("--workload: pipe, or queue with --instructions");
  process.exit(2);
}
const SCRIPT = workload.script;

function once(instrumented) {
  const runDir = instrumented ? mkdtempSync(join(tmpdir(), "wmprof-run-")) : null;
  const env = harnessEnv(runDir);
  const args = instrumented ? [RUNNER, SCRIPT, String(n), method] : [SCRIPT, String(n), method];
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

const [version, executable] = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0]); print(sys.executable)"], {
  encoding: "utf8",
}).stdout.trim().split("\n");

function harnessEnv(runDir) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("WMPROF_")) delete env[k];
  if (runDir) {
    env.WMPROF_RUN_DIR = runDir;
    env.WMPROF_HARNESS_DIR = HARNESS;
    env.PYTHONPATH = env.PYTHONPATH ? `${HARNESS}:${env.PYTHONPATH}` : HARNESS;
  }
  return env;
}

/** User-space instructions of both processes for `rounds` round trips, under callgrind. */
function instructionsFor(rounds, instrumented) {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-cg-"));
  const runDir = instrumented ? mkdtempSync(join(tmpdir(), "wmprof-run-")) : null;
  const env = { ...harnessEnv(runDir), WMPROF_HOT_SCALE: "1000", PYTHONHASHSEED: "0" };
  const args = ["--tool=callgrind", `--callgrind-out-file=${join(dir, "cg.%p")}`, executable];
  if (instrumented) args.push(RUNNER);
  args.push(SCRIPT, ...workload.argv(rounds));
  const r = spawnSync("valgrind", args, { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`valgrind failed (${r.status}): ${r.stderr.slice(-2000)}`);
  let totalIr = 0;
  for (const f of readdirSync(dir)) {
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), "utf8"));
    if (m) totalIr += Number(m[1]);
  }
  rmSync(dir, { recursive: true, force: true });
  if (runDir) rmSync(runDir, { recursive: true, force: true });
  return totalIr;
}

if (instructions) {
  const [n1, n2] = [500, 3500];
  const per = (instrumented) => (instructionsFor(n2, instrumented) - instructionsFor(n1, instrumented)) / (n2 - n1);
  const plainIr = per(false);
  const wmIr = per(true);
  const how = workload === WORKLOADS.pipe ? method : "default start method";
  const result = { python: `${python} (${version})`, method: how, workload: workload.what, plainPerRoundTrip: Math.round(plainIr), wmprofPerRoundTrip: Math.round(wmIr), ratio: wmIr / plainIr };
  if (asJson) console.log(JSON.stringify(result, null, 2));
  else
    console.log(
      `${result.python}, ${how} ${workload.what} round trips, user-space instructions per round trip (both processes): ` +
        `plain ${result.plainPerRoundTrip}, wmprof ${result.wmprofPerRoundTrip} (+${result.wmprofPerRoundTrip - result.plainPerRoundTrip}), ratio ${result.ratio.toFixed(3)}`,
    );
  process.exit(0);
}
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
