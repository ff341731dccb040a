// What does sampling cost the profiler? Spawns N Python processes each holding M MB, samples them
// with MemorySampler (default settings) for S seconds, and reports the sampler's CPU time
// (process.cpuUsage() delta, user + system, i.e. including the kernel's /proc work) per wall
// second as a percentage of one core. Budget: < 2 % for 32 processes of 200 MB.
//
//   node bench/sampler-cost.mjs [--procs 32] [--mb 200] [--seconds 30] [--busy] [--fork] [--interval 50]
//
// --busy: every process keeps faulting in and freeing memory (RSS and fault counters change every
// tick), so smaps_rollup is always "due" and only the smaps budget limits it. Without it the
// processes sit idle after filling their memory, the common case for a parent holding data.
// --fork: one Python parent forks the holders and only the parent is watched, so the sampler finds
// them through /proc/<pid>/task/<tid>/children as it does for a Pool's workers.
// Prints a markdown table on stdout; exits 1 when over budget.
//
// The sampler is bundled with esbuild first and run as plain JavaScript: running it through tsx
// would add tsx's own idle cost (~1 % of a core here) to the measurement.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import console from "node:console";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout } from "node:timers";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

async function loadMemory() {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-bench-"));
  const outfile = join(dir, "memory.mjs");
  await build({
    entryPoints: [join(ROOT, "src", "core", "memory", "index.ts")],
    bundle: true, platform: "node", format: "esm", target: "node20", outfile, logLevel: "warning",
  });
  try {
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith("--") ? true : typeof def === "number" ? Number(v) : v;
}

const PROCS = arg("procs", 32);
const MB = arg("mb", 200);
const SECONDS = arg("seconds", 30);
const INTERVAL = arg("interval", 50);
const BUSY = process.argv.includes("--busy");
const FORK = process.argv.includes("--fork");
const BUDGET = 2; // % of one core
const PYTHON = process.env.WMPROF_PYTHON ?? "python3";

const HOLD = `
import os, sys, time
def hold():
    blob = b"x" * (${MB} << 20)          # ${MB} MB, every page touched
    print("ready", flush=True)
    busy = ${BUSY ? "True" : "False"}
    while True:
        if busy:
            chunk = bytearray(1 << 20)     # mmap'd: faults in 256 pages, then unmapped
            for i in range(0, len(chunk), 4096):
                chunk[i] = 1
            del chunk
            time.sleep(0.02)
        else:
            time.sleep(3600)
`;
const HOLDER = `${HOLD}
hold()
`;
const FORKER = `${HOLD}
for _ in range(${PROCS}):
    if os.fork() == 0:
        hold()
os.wait()
`;

/** The processes to watch and a promise of every holder being ready. */
function startHolders() {
  const children = [];
  const ready = [];
  for (let i = 0; i < (FORK ? 1 : PROCS); i++) {
    const c = spawn(PYTHON, ["-c", FORK ? FORKER : HOLDER], { stdio: ["ignore", "pipe", "inherit"], detached: FORK });
    children.push(c);
    ready.push(
      new Promise((resolve, reject) => {
        let lines = 0;
        const rl = createInterface({ input: c.stdout });
        rl.on("line", () => ++lines === (FORK ? PROCS : 1) && resolve());
        c.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
      }),
    );
  }
  return { children, ready: Promise.all(ready) };
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function pct(micros, wallMs) {
  return (micros / 1000 / wallMs) * 100;
}

async function main() {
  const { MemorySampler } = await loadMemory();
  const { children, ready } = startHolders();
  // the forked holders have the parent's process group: kill that (SIGKILL to the parent alone would orphan them)
  const kill = () => {
    for (const c of children) {
      try {
        process.kill(FORK ? -c.pid : c.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  };
  process.on("exit", kill);
  try {
    await ready;
    const sampler = new MemorySampler({ intervalMs: INTERVAL });
    for (const c of children) sampler.watch(c.pid);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

    const wall0 = performance.now();
    const cpu0 = cpuMicros();
    sampler.start();
    const steadyAfter = Math.min(3000, (SECONDS * 1000) / 2);
    await sleep(steadyAfter);
    const wall1 = performance.now();
    const cpu1 = cpuMicros();
    const st1 = sampler.stats();
    await sleep(SECONDS * 1000 - steadyAfter);
    sampler.stop();
    const wall2 = performance.now();
    const cpu2 = cpuMicros();
    const st2 = sampler.stats();

    const whole = pct(cpu2 - cpu0, wall2 - wall0);
    const steady = pct(cpu2 - cpu1, wall2 - wall1);
    const inTicks = pct(st2.cpuMicros - st1.cpuMicros, wall2 - wall1);
    const smaps = pct(st2.smapsMicros - st1.smapsMicros, wall2 - wall1);
    const ticks = st2.ticks - st1.ticks;
    const rows = [
      ["processes × MB", `${PROCS} × ${MB}${BUSY ? " (busy)" : " (idle)"}${FORK ? ", forked by one watched parent" : ""}`],
      ["interval", `${INTERVAL} ms asked (10 ms for the first 1–2 s); ${st2.intervalMs.toFixed(1)} ms at the end (stretched to stay within tickBudget)`],
      ["wall", `${((wall2 - wall0) / 1000).toFixed(1)} s`],
      ["CPU, whole run (incl. start-up burst and first smaps reads)", `${whole.toFixed(2)} %`],
      [`CPU, steady state (after ${(steadyAfter / 1000).toFixed(1)} s)`, `**${steady.toFixed(2)} %**`],
      ["  of which inside sampler ticks", `${inTicks.toFixed(2)} %`],
      ["  of which smaps_rollup reads", `${smaps.toFixed(2)} %`],
      ["ticks (steady)", `${ticks} (${(((st2.cpuMicros - st1.cpuMicros) / Math.max(1, ticks))).toFixed(0)} µs CPU per tick)`],
      ["discoveries (steady)", String(st2.discoveries - st1.discoveries)],
      ["smaps_rollup reads (whole run / steady)", `${st2.smapsReads} / ${st2.smapsReads - st1.smapsReads}`],
      ["errors", String(st2.errors)],
      ["budget", `< ${BUDGET} % of one core: ${whole < BUDGET && steady < BUDGET ? "OK" : "OVER"}`],
    ];
    console.log(`## Sampler cost: ${PROCS} Python processes × ${MB} MB${BUSY ? ", busy" : ""}${FORK ? ", forked" : ""}\n`);
    console.log("| measure | value |\n| --- | --- |");
    for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
    process.exitCode = whole < BUDGET && steady < BUDGET ? 0 : 1;
  } finally {
    kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
