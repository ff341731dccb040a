// Accuracy check: our PSS / USS / RSS next to smem's (Debian package `smem`, which sums the
// per-mapping lines of /proc/<pid>/smaps itself) for the same processes at the same moment: the
// smaps files are copied right before our sample and smem reads the copy (`smem -S`).
//
//   node bench/smem-compare.mjs            # builds a small process tree, compares, prints markdown
//
// The tree: a parent holding a 120 MB list of ints and a 32 MB SharedMemory block, and three fork
// children: one reads the list (copy-on-write breakage), one allocates 60 MB of its own, one idles;
// all map the block. Every process is parked in a blocking call while both tools read it, so
// "the same moment" holds. Exits 1 when any figure differs by more than 2 %.
//
// compareWithSmem(pids, takeOurs) and samplerFigures(MemorySampler, pids) are exported for reuse
// (test/harness/memory-smem.test.ts) on any set of processes.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import console from "node:console";
import process from "node:process";
import { clearTimeout, setTimeout } from "node:timers";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.WMPROF_PYTHON ?? "python3";
const MAX_DIFF = 0.02;

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

/** smem's figures (bytes) by pid, from /proc or from a snapshot folder (`-S`). smem reports KiB. */
export function readSmem(source) {
  const args = ["-H", "-c", "pid pss uss rss", ...(source ? ["-S", source] : [])];
  const out = execFileSync("smem", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const rows = new Map();
  for (const line of out.split("\n")) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length !== 4 || f.some((x) => !Number.isFinite(x))) continue;
    rows.set(f[0], { pss: f[1] * 1024, uss: f[2] * 1024, rss: f[3] * 1024 });
  }
  return rows;
}

/**
 * Copy /proc/<pid>/{smaps,stat,cmdline} of `pids` (and /proc/meminfo, /proc/version) into
 * `dir`/proc, the layout `smem -S dir` reads.
 * Pids that vanished are skipped.
 */
export function snapshotProc(pids, dir) {
  mkdirSync(join(dir, "proc"), { recursive: true });
  for (const f of ["meminfo", "version"]) writeFileSync(join(dir, "proc", f), readFileSync(`/proc/${f}`));
  for (const pid of pids) {
    try {
      const files = ["smaps", "stat", "cmdline"].map((f) => [f, readFileSync(`/proc/${pid}/${f}`)]);
      mkdirSync(join(dir, "proc", String(pid)), { recursive: true });
      for (const [f, data] of files) writeFileSync(join(dir, "proc", String(pid), f), data);
    } catch {
      /* gone */
    }
  }
}

/**
 * Side by side for `pids`. The processes' /proc/<pid>/smaps are copied and `takeOurs()` takes our
 * sample right after (milliseconds apart, and nothing else started in between); smem then
 * computes its figures from that copy. Running smem live instead would perturb the very numbers
 * it reads: smem is a Python process, and while it runs it maps the same libraries as the
 * targets, turning some of their private file pages shared (seen: 1.3 MB off a 35 MB USS).
 * Returns per-pid rows with relative differences (vs smem) and the worst one.
 */
export function compareWithSmem(pids, takeOurs) {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-smem-snap-"));
  try {
    snapshotProc(pids, dir);
    const mine = takeOurs();
    const theirs = readSmem(dir);
    const rows = [];
    let worst = 0;
    for (const pid of pids) {
      const a = mine.get(pid);
      const b = theirs.get(pid);
      if (!a || !b) {
        rows.push({ pid, missing: !a ? "ours" : "smem" });
        worst = Infinity; // a process one side could not measure is a failure, not a match
        continue;
      }
      const diff = {};
      for (const k of ["pss", "uss", "rss"]) {
        diff[k] = b[k] === 0 ? (a[k] === 0 ? 0 : 1) : (a[k] - b[k]) / b[k];
        worst = Math.max(worst, Math.abs(diff[k]));
      }
      rows.push({ pid, ours: a, smem: b, diff });
    }
    const sum = (side, k) => rows.reduce((acc, r) => acc + (r[side]?.[k] ?? 0), 0);
    const totals = {
      ours: { pss: sum("ours", "pss"), uss: sum("ours", "uss"), rss: sum("ours", "rss") },
      smem: { pss: sum("smem", "pss"), uss: sum("smem", "uss"), rss: sum("smem", "rss") },
    };
    return { rows, worst, totals };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our figures for `pids` from a MemorySampler: one full sample (fresh smaps_rollup for every pid). */
export function samplerFigures(MemorySampler, pids) {
  const sampler = new MemorySampler({ discover: false });
  for (const pid of pids) sampler.watch(pid);
  sampler.sampleOnce({ full: true });
  sampler.stop();
  const out = new Map();
  for (const [pid, s] of sampler.seriesByPid()) {
    const x = s.samples.at(-1);
    if (x && x.pss !== null && x.uss !== null) out.set(pid, { pss: x.pss, uss: x.uss, rss: x.rss });
  }
  return out;
}

export function toMarkdown(result, labels = new Map()) {
  const mb = (b) => (b / 1024 / 1024).toFixed(1);
  const pct = (d) => `${(d * 100).toFixed(2)} %`;
  const lines = [
    "| pid | process | PSS ours | PSS smem | Δ | USS ours | USS smem | Δ | RSS ours | RSS smem | Δ |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of result.rows) {
    const label = labels.get(r.pid) ?? "";
    if (r.missing) {
      lines.push(`| ${r.pid} | ${label} | missing in ${r.missing} | | | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${r.pid} | ${label} | ${mb(r.ours.pss)} MB | ${mb(r.smem.pss)} MB | ${pct(r.diff.pss)} | ${mb(r.ours.uss)} MB | ${mb(r.smem.uss)} MB | ${pct(r.diff.uss)} | ${mb(r.ours.rss)} MB | ${mb(r.smem.rss)} MB | ${pct(r.diff.rss)} |`,
    );
  }
  const t = result.totals;
  const d = (k) => pct(t.smem[k] ? (t.ours[k] - t.smem[k]) / t.smem[k] : 0);
  lines.push(`| Σ | | ${mb(t.ours.pss)} MB | ${mb(t.smem.pss)} MB | ${d("pss")} | ${mb(t.ours.uss)} MB | ${mb(t.smem.uss)} MB | ${d("uss")} | ${mb(t.ours.rss)} MB | ${mb(t.smem.rss)} MB | ${d("rss")} |`);
  return lines.join("\n");
}

// Every process parks in a blocking call (no polling loop: not a page changes while the two tools
// read). SIGUSR1 to the parent ends the run: it kills the children and unlinks the block.
const TREE = `
import os, signal, sys, time
from multiprocessing import shared_memory
sync = sys.argv[1]
def mark(name):
    open(os.path.join(sync, name + ".tmp"), "w").close()
    os.replace(os.path.join(sync, name + ".tmp"), os.path.join(sync, name))
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
data = list(range(3_500_000))                 # ~120 MB of int objects + the list
shm = shared_memory.SharedMemory(create=True, size=32 << 20)
shm.buf[:] = b"\\x01" * (32 << 20)
kids = []
for role in ("reader", "allocator", "idle"):
    pid = os.fork()
    if pid == 0:
        view = shm.buf
        s = 0
        for i in range(0, len(view), 4096):
            s += view[i]
        if role == "reader":
            for x in data:
                s += x
        elif role == "allocator":
            own = bytearray(60 << 20)
            for i in range(0, len(own), 4096):
                own[i] = 1
        mark("%s-%d" % (role, os.getpid()))
        time.sleep(3600)
        os._exit(0)
    kids.append(pid)
mark("parent-%d" % os.getpid())
signal.sigwait([signal.SIGUSR1])
for pid in kids:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
shm.close()
shm.unlink()
`;

async function main() {
  try {
    execFileSync("smem", ["--help"], { stdio: "ignore" });
  } catch {
    console.error("smem is not installed (Debian: apt-get install smem)");
    process.exit(2);
  }
  const { MemorySampler } = await loadMemory();
  const dir = mkdtempSync(join(tmpdir(), "wmprof-smem-"));
  const child = spawn(PYTHON, ["-c", TREE, dir], { stdio: ["ignore", "inherit", "inherit"] });
  try {
    const end = Date.now() + 120_000;
    const marks = () => readdirSync(dir).filter((f) => /^[a-z]+-\d+$/.test(f));
    while (marks().length < 4) {
      if (Date.now() > end || child.exitCode !== null) throw new Error("the process tree did not come up");
      await new Promise((r) => setTimeout(r, 20));
    }
    const labels = new Map(marks().map((f) => [Number(f.split("-")[1]), f.split("-")[0]]));
    const pids = [...labels.keys()].sort((a, b) => a - b);
    await new Promise((r) => setTimeout(r, 300)); // let the parked processes settle

    const result = compareWithSmem(pids, () => samplerFigures(MemorySampler, pids));
    console.log("## wmprof vs smem: the same processes at the same moment\n");
    console.log(toMarkdown(result, labels));
    console.log(`\nLargest difference: ${(result.worst * 100).toFixed(2)} % (limit ${MAX_DIFF * 100} %).`);
    process.exitCode = result.worst <= MAX_DIFF ? 0 : 1;
  } finally {
    const exited = new Promise((r) => (child.exitCode !== null ? r() : child.once("close", r)));
    if (child.exitCode === null) child.kill("SIGUSR1");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err) => {
    console.error(err);
    process.exit(2);
  });
}
