/**
 * Shared memory counted once: a parent creates a 64 MB multiprocessing.shared_memory block, three
 * children attach it by name and touch every page. Σ RSS over the four processes counts the block
 * four times; Σ Pss_Shmem counts it once (each process gets a quarter of each page), and the
 * /proc/<pid>/maps scan sees all four processes attached.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySampler } from "../../src/core/memory/sampler";
import { computeMemoryTotals } from "../../src/core/memory/totals";
import { mergeShmAttachments } from "../../src/core/memory/shared";
import type { MemorySample } from "../../src/protocol/profile";

const PYTHON = process.env.WMPROF_PYTHON ?? "python3";
const MB = 1024 * 1024;
const SIZE = 64 * MB;
const linux = process.platform === "linux" && existsSync("/proc/self/smaps_rollup");

const SCRIPT = `
import multiprocessing as mp, os, sys, time
from multiprocessing import shared_memory, resource_tracker

def child(name, sync):
    shm = shared_memory.SharedMemory(name=name)
    resource_tracker.unregister(shm._name, "shared_memory")  # the parent owns (and unlinks) it
    buf = shm.buf
    total = 0
    for i in range(0, ${SIZE}, 4096):  # touch every page
        total += buf[i]
    buf[0] = 2
    open(os.path.join(sync, "ready-%d" % os.getpid()), "w").close()
    while not os.path.exists(os.path.join(sync, "release")):
        time.sleep(0.01)
    del buf
    shm.close()

if __name__ == "__main__":
    sync = sys.argv[1]
    shm = shared_memory.SharedMemory(create=True, size=${SIZE})
    shm.buf[:] = b"\\x01" * ${SIZE}
    with open(os.path.join(sync, "name.tmp"), "w") as f:
        f.write(shm.name)
    os.replace(os.path.join(sync, "name.tmp"), os.path.join(sync, "name"))
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=child, args=(shm.name, sync)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    shm.close()
    shm.unlink()
    sys.exit(max(p.exitcode for p in procs))
`;

async function waitFor(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a 64 MB SharedMemory block in 4 processes: Σ RSS counts it 4×, Σ Pss_Shmem once", { skip: !linux && "needs Linux smaps_rollup" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-shm-"));
  const child = spawn(PYTHON, ["-c", SCRIPT, dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("close", r));
  const sampler = new MemorySampler();
  try {
    assert.ok(child.pid);
    sampler.watch(child.pid);
    sampler.start();
    await waitFor(() => existsSync(join(dir, "name")) || child.exitCode !== null, "the block");
    const name = readFileSync(join(dir, "name"), "utf8");
    sampler.trackShm(name);
    const ready = () => readdirSync(dir).filter((f) => /^ready-\d+$/.test(f)).map((f) => Number(f.slice(6)));
    await waitFor(() => ready().length === 3 || child.exitCode !== null, "3 children to touch the block");
    assert.equal(ready().length, 3, stderr);
    sampler.sampleOnce({ full: true });

    const pids = [child.pid, ...ready()];
    const by = sampler.seriesByPid();
    const last = pids.map((pid) => {
      const s = by.get(pid)?.samples;
      assert.ok(s && s.length > 0, `pid ${pid} sampled`);
      return s[s.length - 1] as MemorySample;
    });
    const sumRss = last.reduce((a, s) => a + s.rss, 0);
    const sumPss = last.reduce((a, s) => a + (s.pss ?? 0), 0);
    const sumShmem = last.reduce((a, s) => a + (s.pssShmem ?? 0), 0);
    const msg = `Σ RSS ${(sumRss / MB).toFixed(1)} MB, Σ PSS ${(sumPss / MB).toFixed(1)} MB, Σ Pss_Shmem ${(sumShmem / MB).toFixed(1)} MB`;
    assert.ok(sumRss >= 4 * SIZE * 0.98, msg);
    assert.ok(Math.abs(sumShmem - SIZE) <= 0.05 * SIZE, msg);
    for (const s of last) assert.ok(s.rss >= SIZE * 0.98, "each process maps all of it");
    assert.ok(sumPss <= sumRss - 2.5 * SIZE, `Σ PSS counts the block once: ${msg}`);

    const attached = sampler.shmAttachments().get(name) ?? [];
    assert.deepEqual([...attached].sort(), [...pids].sort(), "every process seen mapping /dev/shm/" + name);
    const blocks = mergeShmAttachments(
      [{ kind: "shared_memory", name, bytes: SIZE, pid: child.pid, site: null, attachedPids: [], unlinked: true }],
      sampler.shmAttachments(),
    );
    assert.equal(blocks[0]?.attachedPids.length, 4);

    writeFileSync(join(dir, "release"), "");
    assert.equal(await exited, 0, stderr);
    const processes = sampler.series().map((s) => ({
      pid: s.pid, ppid: s.ppid, role: "worker" as const, startMethod: null, name: null, startedAt: 0, endedAt: null,
      exitCode: 0, instrumented: false, samples: s.samples, peak: s.peak, heap: [],
    }));
    const totals = computeMemoryTotals(processes, blocks);
    assert.equal(totals.sharedMemoryBytes, SIZE);
    assert.ok(totals.peakRssSum !== null && totals.peakPssSum !== null && totals.peakPssSum < totals.peakRssSum - 2.5 * SIZE);
  } finally {
    sampler.stop();
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
