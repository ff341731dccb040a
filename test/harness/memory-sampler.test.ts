/**
 * MemorySampler on real processes: descendants found in /proc without any harness (a fork
 * grandchild), figures consistent (USS ≤ PSS ≤ RSS), a zombie never recorded as a zero sample,
 * exits recorded, and no file descriptors left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySampler } from "../../src/core/memory/sampler";

const PYTHON = process.env.WMPROF_PYTHON ?? "python3";
const MB = 1024 * 1024;
const linux = process.platform === "linux" && existsSync("/proc/self/smaps_rollup");

const SCRIPT = `
import os, sys, time
sync = sys.argv[1]
def mark(name):
    open(os.path.join(sync, name + ".tmp"), "w").close()
    os.replace(os.path.join(sync, name + ".tmp"), os.path.join(sync, name))
def wait_release():
    while not os.path.exists(os.path.join(sync, "release")):
        time.sleep(0.01)
zombie = os.fork()
if zombie == 0:
    os._exit(0)          # stays a zombie until the parent reaps it at the end
a = os.fork()
if a == 0:
    b = os.fork()
    if b == 0:
        blob = bytearray(100 << 20)
        for i in range(0, len(blob), 4096):
            blob[i] = 1
        mark("grandchild-%d" % os.getpid())
        wait_release()
        os._exit(0)
    mark("child-%d" % os.getpid())
    os.waitpid(b, 0)
    os._exit(0)
mark("zombie-%d" % zombie)
wait_release()
os.waitpid(a, 0)
os.waitpid(zombie, 0)
`;

async function waitFor(cond: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function procFds(pids: number[]): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (pids.some((pid) => target.startsWith(`/proc/${pid}/`))) out.push(target);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

test("real process tree: grandchildren discovered, figures consistent, zombies and exits handled, fds released", { skip: !linux && "needs Linux /proc" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-sampler-"));
  const child = spawn(PYTHON, ["-c", SCRIPT, dir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("close", r));
  const sampler = new MemorySampler();
  const exits: number[] = [];
  sampler.onExit((s) => exits.push(s.pid));
  try {
    assert.ok(child.pid);
    assert.equal(sampler.watch(child.pid), true);
    sampler.start();
    const pidOf = (prefix: string) => {
      const f = readdirSync(dir).find((n) => n.startsWith(prefix + "-") && !n.endsWith(".tmp"));
      return f ? Number(f.slice(prefix.length + 1)) : null;
    };
    await waitFor(() => (pidOf("grandchild") !== null && pidOf("child") !== null && pidOf("zombie") !== null) || child.exitCode !== null, "the tree");
    const [a, b, z] = [pidOf("child"), pidOf("grandchild"), pidOf("zombie")];
    assert.ok(a && b && z, stderr);
    sampler.sampleOnce({ full: true });
    sampler.sampleOnce({ full: true });

    const by = sampler.seriesByPid();
    const grand = by.get(b);
    assert.ok(grand, "grandchild found in /proc");
    assert.equal(grand.ppid, a);
    assert.equal(by.get(a)?.ppid, child.pid);
    assert.equal(grand.watched, false);
    const last = grand.samples[grand.samples.length - 1];
    assert.ok(last && last.pss !== null && last.uss !== null && last.privateDirty !== null);
    assert.ok(last.rss >= 100 * MB, `rss ${last.rss}`);
    assert.ok(last.privateDirty >= 100 * MB, `private dirty ${last.privateDirty}`);
    assert.ok(last.uss <= last.pss && last.pss <= last.rss, "USS ≤ PSS ≤ RSS");
    assert.ok((grand.peak.rss ?? 0) >= 100 * MB);
    assert.ok(last.minflt !== null && last.minflt >= 25_000, "100 MB touched = 25,600 page faults");
    const zs = by.get(z);
    assert.ok(!zs || zs.samples.every((s) => s.rss > 0), "a zombie is never a zero sample");
    assert.ok(!zs || zs.exitedAt !== null);
    const allPids = sampler.series().map((s) => s.pid);
    assert.ok(procFds(allPids).length > 0, "descriptors kept open while sampling");

    writeFileSync(join(dir, "release"), "");
    assert.equal(await exited, 0, stderr);
    sampler.sampleOnce();
    for (const s of sampler.series()) assert.notEqual(s.exitedAt, null, `pid ${s.pid} recorded as exited`);
    assert.ok(exits.includes(b) && exits.includes(a) && exits.includes(child.pid));
    assert.equal(sampler.stats().live, 0);
    assert.equal(sampler.stats().errors, 0);
    assert.deepEqual(procFds(allPids), [], "no descriptor left open on exited processes");
    assert.ok(sampler.stats().smapsReads > 0 && sampler.stats().ticks > 0);
    assert.equal(sampler.capabilities().pss, true);
  } finally {
    sampler.stop();
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("watch() of a pid that does not exist, and stop() without start(), are harmless", { skip: !linux && "needs Linux /proc" }, () => {
  const s = new MemorySampler();
  assert.equal(s.watch(2 ** 22 + 12345), false);
  s.sampleOnce();
  s.stop();
  assert.equal(s.stats().errors, 0);
});
