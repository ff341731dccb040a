/**
 * Our PSS / USS / RSS against smem's (which sums /proc/<pid>/smaps mapping by mapping) for the same
 * parked processes at the same moment (smem reads a copy of their smaps taken right before our
 * sample): within 2 %. Uses bench/smem-compare.mjs. Skipped without smem (Debian package `smem`,
 * installed by .ci/run).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySampler } from "../../src/core/memory/sampler";

const PYTHON = process.env.WMPROF_PYTHON ?? "python3";

function hasSmem(): boolean {
  try {
    execFileSync("smem", ["--help"], { stdio: "ignore" });
    return existsSync("/proc/self/smaps_rollup");
  } catch {
    return false;
  }
}

interface Compared {
  rows: Array<{ pid: number; missing?: string }>;
  worst: number;
}
type Figures = Map<number, { pss: number; uss: number; rss: number }>;
interface SmemBench {
  compareWithSmem(pids: number[], takeOurs: () => Figures): Compared;
  samplerFigures(ctor: typeof MemorySampler, pids: number[]): Figures;
}

// Both processes park in a blocking sleep (no polling loop, so not a page changes while the two
// tools read) and are killed at the end.
const SCRIPT = `
import os, sys, time
sync = sys.argv[1]
data = list(range(2_000_000))
pid = os.fork()
if pid == 0:
    s = 0
    for x in data[:1_000_000]:
        s += x
    open(os.path.join(sync, "child-%d" % os.getpid()), "w").close()
    time.sleep(3600)
    os._exit(0)
open(os.path.join(sync, "parent-%d" % os.getpid()), "w").close()
time.sleep(3600)
`;

test("PSS, USS and RSS agree with smem within 2 %", { skip: !hasSmem() && "smem not installed" }, async () => {
  const { compareWithSmem, samplerFigures } = (await import("../../bench/smem-compare.mjs" as string)) as SmemBench;
  const dir = mkdtempSync(join(tmpdir(), "wmprof-smem-"));
  const child = spawn(PYTHON, ["-c", SCRIPT, dir], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((r) => child.on("close", r));
  let pids: number[] = [];
  try {
    const end = Date.now() + 120_000;
    const marks = () => readdirSync(dir).filter((f) => /^(parent|child)-\d+$/.test(f));
    while (marks().length < 2) {
      if (Date.now() > end || child.exitCode !== null) throw new Error("the processes did not come up");
      await new Promise((r) => setTimeout(r, 20));
    }
    pids = marks().map((f) => Number(f.split("-")[1]));
    const result = compareWithSmem(pids, () => samplerFigures(MemorySampler, pids));
    assert.deepEqual(result.rows.filter((r) => r.missing), []);
    assert.ok(result.worst <= 0.02, `largest difference ${(result.worst * 100).toFixed(2)} %: ${JSON.stringify(result.rows)}`);
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
