// The benchmark suite (issue 7): real multiprocessing workloads run under plain python, `wmprof
// run`, Scalene and mprof, interleaved, with smem as the reference for PSS/USS.
//
//   npm run bench                       # full run, 7 rounds (≈ 20 min on 2 cores): bench/results.{md,json} + bench/headline.md
//   npm run bench -- --quick            # scaled-down smoke run (≈ 3 min), 3 rounds
//   node bench/run.mjs [--quick] [--runs N] [--only a,b,...] [--tools plain,wmprof,...]
//                      [--python /usr/bin/python3] [--no-ingest] [--no-webview] [--no-diag] [--no-write] [--keep]
//   node bench/run.mjs --render bench/results.json      # re-render the markdown from the raw results
//
// Every tool run goes through bench/suite/measure.py (wall time, CPU time of the whole tree, the
// tool process's own peak RSS and CPU). Within a round the tools run back to back in an order that
// rotates every round (plain, wmprof, scalene, mprof; then wmprof, scalene, mprof, plain; ...), so
// drift of a shared machine hits every tool alike; ratios are per round (tool / plain of the same
// round), then the median and the spread (min..max) over the rounds.
//
// Besides the timed rounds: an accuracy pass of (e) per tool, where the workload parks when its
// children have finished reading and smem measures the tree (the reference Σ PSS); a spawn
// visibility probe (g) per tool; the host-side ingest benchmark (bench/suite/ingest.ts); the
// webview update benchmark in Chromium (bench/webview-update.mjs); and
// diagnostics of what dominates (cProfile of the harness hooks, -X importtime, --cpu-prof).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import console from "node:console";
import { setTimeout as sleep } from "node:timers/promises";
import { clearTimeout, setTimeout } from "node:timers";
import { figureAt, makeTools } from "./suite/tools.mjs";
import { readSmem, snapshotProc } from "./smem-compare.mjs";
import { summarize as summarizeCpuProfile } from "./suite/cpuprof.mjs";
import { median, medianInterval, renderResults, renderHeadline } from "./suite/report.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SUITE = join(ROOT, "bench", "suite");
const WL = join(SUITE, "workloads");
const MEASURE = join(SUITE, "measure.py");
const HARNESS = join(ROOT, "harness", "python");

// ------------------------------------------------------------------------------------------------
// Options

function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined && !process.argv[i + 1].startsWith("--") ? process.argv[i + 1] : fallback;
}
const flag = (name) => process.argv.includes(`--${name}`);
const QUICK = flag("quick");
const RUNS = Math.max(1, Number(opt("runs", QUICK ? "3" : "7")));
const PYTHON = opt("python", "/usr/bin/python3");
const ONLY = opt("only", null)?.split(",");
const TOOL_NAMES = opt("tools", "plain,wmprof,harness,scalene,mprof").split(",");
const KEEP = flag("keep");

// ------------------------------------------------------------------------------------------------
// Workloads: [full args, quick args]; est = rough plain seconds (first timeout before a plain run is known).

const WORKLOADS = [
  { id: "0", title: "empty script (fixed start-up + shutdown cost)", script: "z_empty.py", args: [[], []], est: 0.1 },
  { id: "a", title: "50k small Pipe round trips", quickTitle: "5k small Pipe round trips", script: "a_pipe.py", args: [["50000"], ["5000"]], est: 3, target: 1.05 },
  { id: "b", title: "100k small Queue round trips", quickTitle: "10k small Queue round trips", script: "b_queue.py", args: [["100000"], ["10000"]], est: 8, target: 1.05 },
  // glibc's dynamic mmap threshold makes (c) bimodal in plain Python itself (the consumer's
  // Connection._recv either reuses its 1 MiB buffers or maps fresh ones, by a reader/writer race:
  // 0.53M or 1.37M faults, 3.3 s or 6 s): pinned alike for every tool, so the ratio measures the tool.
  { id: "c", title: "bulk: 2 GiB through a Queue in 1 MiB messages", quickTitle: "bulk: 256 MiB through a Queue in 1 MiB messages", script: "c_bulk.py", args: [["2048"], ["256"]], est: 4, target: 1.01,
    env: { MALLOC_MMAP_THRESHOLD_: "4194304", MALLOC_TRIM_THRESHOLD_: "67108864" } },
  { id: "d", title: "Pool.map of 10k CPU-bound tasks", quickTitle: "Pool.map of 2k CPU-bound tasks", script: "d_pool.py", args: [["10000"], ["2000"]], est: 5, target: 1.01 },
  { id: "e", title: "fork COW: 6M-int list, 2 fork children iterate it", quickTitle: "fork COW: 2M-int list, 2 fork children iterate it", script: "e_cow.py", args: [["6000000"], ["2000000"]], est: 3 },
  { id: "f", title: "32-worker Pool, 16 MiB each, 6 s of short tasks (sampler cost)", quickTitle: "32-worker Pool, 16 MiB each, 1.5 s of short tasks (sampler cost)", script: "f_pool32.py", args: [["6", "32", "16"], ["1.5", "32", "16"]], est: 8, samplerTarget: 2, timeline: true },
].map((w) => ({ ...w, scriptPath: join(WL, w.script), argv: w.args[QUICK ? 1 : 0], title: QUICK && w.quickTitle ? w.quickTitle : w.title }));
const PROBE = { id: "g", title: "spawn visibility: spawn Pool(2), 64 MiB + CPU per worker", script: "g_spawn.py", scriptPath: join(WL, "g_spawn.py"), argv: QUICK ? ["20", "64"] : ["40", "64"], est: 2 };
const ACCURACY = WORKLOADS.find((w) => w.id === "e");

// ------------------------------------------------------------------------------------------------
// Helpers

const spread = (xs) => {
  const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x));
  return s.length ? [Math.min(...s), Math.max(...s)] : null;
};
const readJson = (f) => {
  try {
    return JSON.parse(readFileSync(f, "utf8"));
  } catch {
    return null;
  }
};
const tail = (f, n = 6) => {
  try {
    return readFileSync(f, "utf8").trim().split("\n").slice(-n).join("\n");
  } catch {
    return "";
  }
};
const log = (s) => process.stderr.write(s + "\n");

function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("WMPROF_") || k.startsWith("WMBENCH_")) delete env[k];
  delete env.NODE_OPTIONS;
  return env;
}

function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* gone */
  }
}

/**
 * One run of one tool on one workload, through measure.py, in its own process group (killed
 * whole on timeout and after the run, so nothing leaks into the next run). `sync`: the accuracy
 * pass, handled by onSync(dir) while the run is parked.
 */
async function runOnce(tool, w, { timeoutS, sync = null, timeline = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `wmbench-${w.id}-${tool.name}-`));
  const report = join(dir, "report.json");
  const meas = join(dir, "measure.json");
  const env = cleanEnv();
  env.WMBENCH_REPORT = report;
  let syncDir = null;
  if (sync) {
    syncDir = join(dir, "sync");
    mkdirSync(syncDir);
    env.WMBENCH_SYNC = syncDir;
  }
  if (w.env) Object.assign(env, w.env);
  if (tool.env) Object.assign(env, tool.env(dir));
  const argv = tool.argv(w.scriptPath, w.argv, dir);
  const out = openSync(join(dir, "stdout"), "w");
  const err = openSync(join(dir, "stderr"), "w");
  const child = spawn(PYTHON, [MEASURE, meas, ...(timeline ? ["--timeline"] : []), "--", ...argv], {
    cwd: dir, env, detached: true, stdio: ["ignore", out, err],
  });
  closeSync(out);
  closeSync(err);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeoutS * 1000);
  const exited = new Promise((r) => child.once("close", (code) => r(code)));
  let syncResult = null;
  if (sync) syncResult = sync(syncDir, exited);
  const code = await exited;
  clearTimeout(timer);
  killGroup(child.pid); // stragglers of the tool, if any
  const m = readJson(meas);
  const rep = readJson(report);
  let seen;
  try {
    seen = tool.seen(dir, rep, w);
  } catch (e) {
    seen = { profile: false, note: `could not read its output: ${e.message}` };
  }
  const rec = {
    tool: tool.name, workload: w.id, ok: !timedOut && code === 0 && m?.exit === 0,
    timedOut, wall: m?.wall ?? null, cpu: m?.cpu ?? null, selfHwmKiB: m?.selfHwmKiB ?? null, selfCpu: m?.selfCpu ?? null,
    maxRssKiB: m?.maxRssKiB ?? null, minflt: m?.minflt ?? null, orphans: m?.orphans ?? null, exit: m?.exit ?? null,
    report: rep, seen, sync: syncResult ? await syncResult : null,
  };
  if (rec.sync?.at) {
    try {
      rec.atMoment = figureAt(tool.name, dir, rec.sync.at);
    } catch {
      rec.atMoment = null;
    }
  }
  if (timeline && m?.timeline && rep?.steady) rec.steadyCpuPct = windowCpuPct(m.timeline, rep.steady);
  if (!rec.ok) rec.errorTail = timedOut ? `timed out after ${timeoutS.toFixed(0)} s (killed)` : tail(join(dir, "stderr")) || tail(join(dir, "stdout"));
  if (!KEEP && (rec.ok || !flag("keep-failed"))) rmSync(dir, { recursive: true, force: true });
  else rec.dir = dir;
  return rec;
}

/** The profiler process's CPU over [t0, t1] (epoch s) from measure.py's timeline, in % of one core. */
function windowCpuPct(timeline, [t0, t1]) {
  const at = (t) => {
    let prev = null;
    for (const [ts, cpu] of timeline) {
      if (ts >= t) {
        if (!prev) return cpu;
        const f = (t - prev[0]) / (ts - prev[0] || 1);
        return prev[1] + f * (cpu - prev[1]);
      }
      prev = [ts, cpu];
    }
    return prev ? prev[1] : null;
  };
  const a = at(t0);
  const b = at(t1);
  if (a === null || b === null || t1 <= t0) return null;
  if (timeline.length === 0 || timeline[timeline.length - 1][0] < t1) return null;
  return ((b - a) / (t1 - t0)) * 100;
}

/**
 * The accuracy pass of (e): when the parent and both children have announced themselves (the
 * children once they finished reading), wait 0.6 s so every tool takes samples of this state,
 * snapshot the tree's smaps and have smem compute Σ PSS/USS/RSS from the copy, wait 0.6 s more,
 * then release the workload.
 */
function smemSync(syncDir, exited) {
  let done = false;
  exited.then(() => (done = true));
  return (async () => {
    const end = Date.now() + 120_000;
    let names = [];
    while (!done && Date.now() < end) {
      names = readdirSync(syncDir).filter((n) => /^(parent|child)-\d+$/.test(n));
      if (names.filter((n) => n.startsWith("child-")).length >= 2 && names.some((n) => n.startsWith("parent-"))) break;
      await sleep(20);
    }
    if (done || Date.now() >= end) return { error: "the workload never reached the measuring point" };
    await sleep(600);
    const at = Date.now();
    const pids = names.map((n) => Number(n.split("-")[1]));
    const snap = mkdtempSync(join(tmpdir(), "wmbench-smem-"));
    let rows;
    try {
      snapshotProc(pids, snap);
      rows = readSmem(snap);
    } finally {
      rmSync(snap, { recursive: true, force: true });
    }
    await sleep(600);
    writeFileSync(join(syncDir, "go"), "");
    const sum = (k) => pids.reduce((a, p) => a + (rows.get(p)?.[k] ?? 0), 0);
    const perPid = Object.fromEntries(pids.map((p) => [p, { role: names.find((n) => n.endsWith(`-${p}`))?.split("-")[0], ...rows.get(p) }]));
    return { at, pids, perPid, found: pids.filter((p) => rows.has(p)).length, pss: sum("pss"), uss: sum("uss"), rss: sum("rss") };
  })();
}

// ------------------------------------------------------------------------------------------------
// Machine and versions

function machine() {
  const mem = totalmem();
  const smemVersion = spawnSync("dpkg-query", ["-W", "-f", "${Version}", "smem"], { encoding: "utf8" }).stdout?.trim() || null;
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? "",
    memGiB: mem / 2 ** 30,
    kernel: release(),
    loadStart: loadavg(),
    node: process.version,
    smem: smemVersion,
    smemAvailable: spawnSync("smem", ["--help"], { stdio: "ignore" }).status === 0,
  };
}

// ------------------------------------------------------------------------------------------------
// Host ingest, diagnostics

/** bench/webview-update.mjs: main-thread time of a 64-process panel update in Chromium. */
function runWebview() {
  const args = [join(ROOT, "bench", "webview-update.mjs"), "--json", ...(QUICK ? ["--rounds", "1", "--deltas", "40"] : [])];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24, env: cleanEnv() });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || "").trim().split("\n").slice(-5).join("\n") };
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function runIngest(messages, profDir) {
  const args = ["--expose-gc", "--import", "tsx", join(SUITE, "ingest.ts"), "--messages", String(messages), "--json"];
  if (profDir) args.push("--cpu-prof-dir", profDir);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24, env: cleanEnv() });
  if (r.status !== 0 && !r.stdout.trim()) return { error: (r.stderr || "").trim().split("\n").slice(-5).join("\n") };
  const res = JSON.parse(r.stdout.trim().split("\n").pop());
  if (profDir) {
    const files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(profDir, f));
    const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (main) res.cpuProfileTop = summarizeCpuProfile(main, 10);
  }
  return res;
}

function harnessEnv() {
  const env = cleanEnv();
  const runDir = mkdtempSync(join(tmpdir(), "wmprof-run-"));
  chmodSync(runDir, 0o700);
  env.WMPROF_RUN_DIR = runDir;
  env.WMPROF_HARNESS_DIR = HARNESS;
  env.PYTHONPATH = env.PYTHONPATH ? `${HARNESS}:${env.PYTHONPATH}` : HARNESS;
  return { env, runDir };
}

/** How a diagnostic runs a workload plainly ("-" as runner) or under the harness runner, with its run folder. */
function pythonMode(mode) {
  if (mode !== "harness") return { env: cleanEnv(), runDir: null, runner: "-" };
  return { ...harnessEnv(), runner: join(HARNESS, "wmprof_run.py") };
}

/** cProfile of the parent process (all threads), plain and under the harness runner. */
function hookProfile(w, n) {
  const out = {};
  for (const mode of ["plain", "harness"]) {
    const f = join(tmpdir(), `wmbench-hookprof-${process.pid}-${w.id}-${mode}.json`);
    const { env, runDir, runner } = pythonMode(mode);
    const r = spawnSync(PYTHON, [join(SUITE, "hookprof.py"), f, HARNESS, runner, w.scriptPath, String(n)], { env, encoding: "utf8" });
    if (runDir) rmSync(runDir, { recursive: true, force: true });
    out[mode] = r.status === 0 ? readJson(f) : { error: r.stderr.trim().split("\n").slice(-3).join("\n") };
    rmSync(f, { force: true });
  }
  return { workload: w.id, n, ...out };
}

/** node --cpu-prof of `wmprof run` on (f): where the profiler's own CPU goes while 32 workers run. */
function samplerProfile(w) {
  const profDir = mkdtempSync(join(tmpdir(), "wmbench-cpuprof-"));
  const out = join(profDir, "profile.json");
  const r = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", profDir, join(ROOT, "dist", "cli.js"), "run", "--python", PYTHON, "--quiet", "--out", out, w.scriptPath, ...w.argv],
    { env: cleanEnv(), encoding: "utf8", cwd: profDir });
  let res;
  if (r.status !== 0) res = { error: (r.stderr || "").trim().split("\n").slice(-3).join("\n") };
  else {
    const files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => join(profDir, f));
    const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
    res = { workload: w.id, argv: w.argv, top: main ? summarizeCpuProfile(main, 12) : [] };
  }
  rmSync(profDir, { recursive: true, force: true });
  return res;
}

/**
 * Node's own start-up, `node -e 0` with the bench's environment (median of 15): the least any
 * node-hosted CLI adds to a run. Also without NODE_EXTRA_CA_CERTS when it is set, since node
 * then parses that CA bundle before running anything (nodejs/node#40524).
 */
function nodeStart() {
  const time = (env) => {
    const walls = [];
    for (let i = 0; i < 15; i++) {
      const t = process.hrtime.bigint();
      spawnSync(process.execPath, ["-e", "0"], { env, stdio: "ignore" });
      walls.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return median(walls);
  };
  const env = cleanEnv();
  const extraCa = !!env.NODE_EXTRA_CA_CERTS;
  const { NODE_EXTRA_CA_CERTS: _ca, ...withoutCa } = env;
  return { ms: time(env), extraCa, withoutExtraCaMs: extraCa ? time(withoutCa) : null };
}

/**
 * Python bytecodes per round trip by function, every process and thread (bench/suite/bytecodes.py
 * at two loop lengths, the difference), plain and under the harness: a deterministic profile of
 * the hooks' hot path.
 */
function bytecodeProfile(w, [n1, n2]) {
  const perRoundTrip = {};
  for (const mode of ["plain", "harness"]) {
    const counts = [];
    for (const n of [n1, n2]) {
      const dir = mkdtempSync(join(tmpdir(), "wmbench-bytecodes-"));
      const { env, runDir, runner } = pythonMode(mode);
      env.WMPROF_HOT_SCALE = "1000"; // tracing is ~50x slower: see bytecodes.py
      const r = spawnSync(PYTHON, [join(SUITE, "bytecodes.py"), join(dir, "bc"), runner, w.scriptPath, String(n)], { env, encoding: "utf8" });
      const c = new Map();
      for (const f of readdirSync(dir)) for (const [file, fn, k] of readJson(join(dir, f)) ?? []) c.set(`${fn} (${file})`, (c.get(`${fn} (${file})`) ?? 0) + k);
      rmSync(dir, { recursive: true, force: true });
      if (runDir) rmSync(runDir, { recursive: true, force: true });
      if (r.status !== 0) return { workload: w.id, error: r.stderr.trim().split("\n").slice(-3).join("\n") };
      counts.push(c);
    }
    const [a, b] = counts;
    perRoundTrip[mode] = Object.fromEntries([...new Set([...a.keys(), ...b.keys()])].map((k) => [k, ((b.get(k) ?? 0) - (a.get(k) ?? 0)) / (n2 - n1)]));
  }
  return { workload: w.id, n: [n1, n2], ...perRoundTrip };
}

/** User-space instructions per round trip under callgrind (bench/overhead.mjs --instructions). */
function instructionCount(workload) {
  const r = spawnSync(process.execPath, [join(ROOT, "bench", "overhead.mjs"), "--instructions", "--workload", workload, "--python", PYTHON, "--json"],
    { env: cleanEnv(), encoding: "utf8" });
  if (r.status !== 0) return { workload, error: (r.stderr || "").trim().split("\n").slice(-2).join("\n") };
  return { workload, ...JSON.parse(r.stdout) };
}

/** -X importtime of an empty script, plain and under the runner: what the harness adds at start-up. */
function importTime() {
  const script = join(WL, "z_empty.py");
  const parse = (stderr) => {
    const rows = [];
    for (const line of stderr.split("\n")) {
      const m = /^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S.*)$/.exec(line);
      if (m) rows.push({ self: Number(m[1]), cum: Number(m[2]), depth: m[3].length, name: m[4].trim() });
    }
    return rows;
  };
  const plain = spawnSync(PYTHON, ["-X", "importtime", script], { env: cleanEnv(), encoding: "utf8" });
  const { env, runDir } = harnessEnv();
  const wm = spawnSync(PYTHON, ["-X", "importtime", join(HARNESS, "wmprof_run.py"), script], { env, encoding: "utf8" });
  rmSync(runDir, { recursive: true, force: true });
  const a = parse(plain.stderr);
  const b = parse(wm.stderr);
  const total = (rows) => rows.reduce((s, r) => s + r.self, 0);
  const names = new Set(a.map((r) => r.name));
  const added = b.filter((r) => !names.has(r.name));
  return {
    plainUs: total(a),
    runnerUs: total(b),
    addedModules: added.length,
    addedUs: total(added),
    topAdded: added.sort((x, y) => y.self - x.self).slice(0, 6).map((r) => ({ name: r.name, selfUs: r.self })),
    harnessModules: b.filter((r) => r.name.startsWith("_wmprof_harness")).map((r) => ({ name: r.name, selfUs: r.self, cumUs: r.cum })),
  };
}

// ------------------------------------------------------------------------------------------------
// Main

/** --render FILE: rebuild results.md and headline.md from a saved results.json (no runs). */
function renderOnly(file) {
  const result = JSON.parse(readFileSync(file, "utf8"));
  result.stats = aggregate(result);
  writeFileSync(join(ROOT, "bench", "results.md"), renderResults(result));
  const head = renderHeadline(result);
  writeFileSync(join(ROOT, "bench", "headline.md"), head);
  process.stdout.write(head);
}

async function main() {
  if (opt("render", null)) return renderOnly(opt("render", null));
  const t0 = Date.now();
  const m = machine();
  const tools = makeTools({ python: PYTHON, root: ROOT }).filter((t) => TOOL_NAMES.includes(t.name));
  const skipped = [];
  const active = [];
  for (const t of tools) {
    const why = t.available();
    if (why) skipped.push({ tool: t.name, why });
    else active.push(t);
  }
  if (!active.some((t) => t.name === "plain")) throw new Error("the plain python baseline is required (--tools must include plain)");
  const versions = Object.fromEntries(active.map((t) => [t.name, t.version()]));
  const workloads = WORKLOADS.filter((w) => !ONLY || ONLY.includes(w.id));
  log(`wmprof bench: ${QUICK ? "quick" : "full"} mode, ${RUNS} rounds, tools ${active.map((t) => t.name).join(", ")}` +
    `${skipped.length ? ` (skipped: ${skipped.map((s) => `${s.tool}: ${s.why}`).join("; ")})` : ""}; ` +
    `${m.nproc} CPUs, load ${m.loadStart.map((x) => x.toFixed(2)).join(" ")}`);

  // Warm-up: page cache, .pyc files, and an early failure if a tool does not run at all.
  const warm = { ...WORKLOADS.find((w) => w.id === "a"), argv: ["2000"] };
  for (const t of active) {
    const r = await runOnce(t, warm, { timeoutS: 120 });
    if (!r.ok) log(`warm-up: ${t.name} failed: ${r.errorTail}`);
  }

  const nodeStartup = nodeStart();
  log(`node's own start-up (node -e 0): ${nodeStartup.ms.toFixed(1)} ms` +
    (nodeStartup.extraCa ? `; ${nodeStartup.withoutExtraCaMs.toFixed(1)} ms without NODE_EXTRA_CA_CERTS` : ""));

  const runs = [];
  const giveUp = new Map(); // "tool|workload" -> timeouts
  for (const w of workloads) {
    for (let round = 0; round < RUNS; round++) {
      const order = active.map((_, i) => active[(i + round) % active.length]);
      for (const t of order) {
        const key = `${t.name}|${w.id}`;
        if ((giveUp.get(key) ?? 0) >= 2) {
          runs.push({ tool: t.name, workload: w.id, round, ok: false, skipped: true, errorTail: "skipped: timed out twice already" });
          continue;
        }
        const plainWalls = runs.filter((r) => r.workload === w.id && r.tool === "plain" && r.ok).map((r) => r.wall);
        const base = median(plainWalls) ?? w.est * (QUICK ? 0.3 : 1);
        const timeoutS = Math.max(QUICK ? 30 : 60, 10 * base);
        const r = await runOnce(t, w, { timeoutS, timeline: !!w.timeline });
        r.round = round;
        runs.push(r);
        if (r.timedOut) giveUp.set(key, (giveUp.get(key) ?? 0) + 1);
        const plainR = runs.find((x) => x.workload === w.id && x.round === round && x.tool === "plain");
        const ratio = r.ok && plainR?.ok && t.name !== "plain" ? ` (×${(r.wall / plainR.wall).toFixed(3)} wall)` : "";
        log(`[${w.id}] round ${round + 1}/${RUNS} ${t.name.padEnd(7)} ${r.ok ? `${r.wall.toFixed(2)} s` : `FAILED: ${r.errorTail?.split("\n").pop()}`}${ratio}`);
      }
    }
  }

  // Accuracy pass of (e): smem at a known moment vs each tool's figure.
  const accuracy = [];
  if (ACCURACY && (!ONLY || ONLY.includes("e")) && m.smemAvailable) {
    for (const t of active.filter((a) => a.name !== "harness")) {
      const plainWalls = runs.filter((r) => r.workload === "e" && r.tool === "plain" && r.ok).map((r) => r.wall);
      const r = await runOnce(t, ACCURACY, { timeoutS: Math.max(60, 10 * (median(plainWalls) ?? 3)), sync: smemSync });
      accuracy.push(r);
      log(`[e accuracy] ${t.name.padEnd(7)} ${r.ok ? "ok" : `FAILED: ${r.errorTail}`}; smem Σ PSS ${r.sync?.pss ? (r.sync.pss / 2 ** 20).toFixed(1) + " MiB" : "?"}`);
    }
  }

  // Spawn visibility probe (g): once per tool.
  const probe = [];
  if (!ONLY || ONLY.includes("g")) {
    for (const t of active.filter((a) => a.name !== "harness")) {
      const r = await runOnce(t, PROBE, { timeoutS: 120 });
      probe.push(r);
      log(`[g probe] ${t.name.padEnd(7)} ${r.ok ? `${r.wall.toFixed(2)} s` : `FAILED: ${r.errorTail}`}`);
    }
  }

  // Host side.
  let ingest = null;
  let ingestProfile = null;
  if (!flag("no-ingest")) {
    const n = QUICK ? 1_000_000 : 10_000_000;
    log(`[ingest] ${n.toLocaleString("en")} synthetic messages ...`);
    ingest = runIngest(n, null);
    const profDir = mkdtempSync(join(tmpdir(), "wmbench-cpuprof-"));
    log(`[ingest] 1,000,000 messages with --cpu-prof ...`);
    ingestProfile = runIngest(1_000_000, profDir);
    rmSync(profDir, { recursive: true, force: true });
  }

  let webview = null;
  if (!flag("no-webview")) {
    log("[webview] 64 processes × 12,000 samples in Chromium: snapshot + 4 Hz deltas ...");
    webview = runWebview();
  }

  // Diagnostics of the harness.
  let diag = null;
  if (!flag("no-diag")) {
    log("[diag] cProfile of the harness hooks, -X importtime, --cpu-prof of wmprof on (f) ...");
    const n = QUICK ? 5000 : 20000;
    log("[diag] bytecodes per round trip of (a) and (b), plain and under the harness ...");
    const bytecodes = ["a", "b"].map((id) => bytecodeProfile(WORKLOADS.find((w) => w.id === id), QUICK ? [200, 600] : [1000, 3000]));
    const valgrind = spawnSync("valgrind", ["--version"], { stdio: "ignore" }).status === 0;
    if (valgrind && !QUICK) log("[diag] callgrind: user-space instructions per Pipe and Queue round trip ...");
    diag = {
      bytecodes,
      instructions: valgrind && !QUICK ? ["pipe", "queue"].map(instructionCount) : null,
      hooks: ["a", "b"].map((id) => hookProfile(WORKLOADS.find((w) => w.id === id), n)),
      importTime: importTime(),
      sampler: WORKLOADS.some((w) => w.id === "f") ? samplerProfile(WORKLOADS.find((w) => w.id === "f")) : null,
    };
  }

  const result = {
    quick: QUICK, rounds: RUNS, python: PYTHON, machine: { ...m, loadEnd: loadavg() }, versions, skipped,
    tools: active.map((t) => ({ name: t.name, label: t.label })),
    workloads: workloads.map(({ id, title, script, argv, target, samplerTarget, env }) => ({ id, title, script, argv, target, samplerTarget, env })),
    probe: { id: PROBE.id, title: PROBE.title, script: PROBE.script, argv: PROBE.argv, runs: probe },
    nodeStart: nodeStartup, runs, accuracy, ingest, ingestProfile, webview, diag,
    minutes: (Date.now() - t0) / 60000,
  };
  const stats = aggregate(result);
  result.stats = stats;
  const md = renderResults(result);
  const head = renderHeadline(result);
  if (!flag("no-write")) {
    writeFileSync(join(ROOT, "bench", "results.md"), md);
    writeFileSync(join(ROOT, "bench", "headline.md"), head);
    const { stats: _stats, ...raw } = result;
    writeFileSync(join(ROOT, "bench", "results.json"), JSON.stringify(raw) + "\n");
  }
  process.stdout.write("\n" + head);
  log(flag("no-write") ? `\ndone (${result.minutes.toFixed(1)} min)` : `\nwrote bench/results.md and bench/headline.md (${result.minutes.toFixed(1)} min)`);
}

/** Per workload × tool: medians and per-round ratios to plain. */
function aggregate(result) {
  const out = {};
  for (const w of result.workloads) {
    out[w.id] = {};
    const plainBy = new Map(result.runs.filter((r) => r.workload === w.id && r.tool === "plain" && r.ok).map((r) => [r.round, r]));
    for (const t of result.tools) {
      const rs = result.runs.filter((r) => r.workload === w.id && r.tool === t.name);
      const ok = rs.filter((r) => r.ok);
      const pairs = ok.filter((r) => plainBy.has(r.round));
      const ratio = (k) => pairs.map((r) => r[k] / plainBy.get(r.round)[k]);
      const loopRatio = pairs.map((r) => (r.report?.loopSeconds && plainBy.get(r.round).report?.loopSeconds ? r.report.loopSeconds / plainBy.get(r.round).report.loopSeconds : null));
      const parentRss = ok.map((r) => r.report?.parentMaxRssKiB ?? null);
      out[w.id][t.name] = {
        runs: rs.length, ok: ok.length, timedOut: rs.filter((r) => r.timedOut).length, failed: rs.filter((r) => !r.ok && !r.timedOut && !r.skipped).length,
        skipped: rs.filter((r) => r.skipped).length,
        wall: median(ok.map((r) => r.wall)), cpu: median(ok.map((r) => r.cpu)),
        wallRatio: median(ratio("wall")), wallSpread: spread(ratio("wall")), wallInterval: medianInterval(ratio("wall")),
        cpuRatio: median(ratio("cpu")), cpuSpread: spread(ratio("cpu")),
        loopRatio: median(loopRatio), loopSpread: spread(loopRatio),
        selfHwmKiB: median(ok.map((r) => r.selfHwmKiB)),
        selfCpu: median(ok.map((r) => r.selfCpu)),
        maxRssKiB: median(ok.map((r) => r.maxRssKiB)),
        minflt: median(ok.map((r) => r.minflt)),
        parentRssKiB: median(parentRss),
        steadyCpuPct: median(ok.map((r) => r.steadyCpuPct ?? null)), steadyCpuSpread: spread(ok.map((r) => r.steadyCpuPct ?? null)),
        steadyCpuInterval: medianInterval(ok.map((r) => r.steadyCpuPct ?? null)),
        seen: ok.map((r) => r.seen).filter(Boolean),
        errors: [...new Set(rs.filter((r) => !r.ok).map((r) => r.errorTail?.split("\n").pop()))].filter(Boolean),
      };
    }
  }
  return out;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
