/**
 * The cow-refcount-breakage advice end to end (`wmprof run`, harness heap samples, sampler):
 * fork children that read 5M inherited ints copy them with or without gc.freeze() (refcount
 * writes: the advice must not suggest gc.freeze()); children whose gc.collect() walks 2M inherited
 * small lists copy them only without gc.freeze() (GC writes: the advice is gc.freeze()), and with
 * it nothing fires.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { runCli, workspace } from "../support/cli";
import type { Finding } from "../../src/protocol/profile";

const linux = process.platform === "linux" && existsSync("/proc/self/smaps_rollup");

const SCRIPT = `
import gc, multiprocessing as mp, sys, time
KIND = sys.argv[1]
FREEZE = "--freeze" in sys.argv
data = list(range(5_000_000)) if KIND == "ints" else [[i] for i in range(2_000_000)]

def child():
    time.sleep(0.2)
    if KIND == "ints":
        total = 0
        for x in data:      # reading writes every int's refcount
            total += x
    else:
        gc.collect()        # a full collection writes every tracked list's gc header
    time.sleep(0.6)         # stay alive for a few more samples

if __name__ == "__main__":
    if FREEZE:
        gc.freeze()
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=child) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
`;

async function cowFinding(args: string[]): Promise<Finding | undefined> {
  const cwd = workspace({ "cow.py": SCRIPT });
  const r = await runCli(["run", "--quiet", "cow.py", ...args], { cwd });
  rmSync(cwd, { recursive: true, force: true });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.profile, "profile written");
  const children = r.profile.processes.filter((p) => p.startMethod === "fork");
  assert.equal(children.length, 2);
  return r.profile.findings.find((f) => f.rule === "cow-refcount-breakage");
}

test("inherited ints read by fork children: refcount writes, and the advice says gc.freeze() will not help", { skip: !linux && "needs Linux smaps_rollup" }, async () => {
  for (const args of [["ints"], ["ints", "--freeze"]]) {
    const f = await cowFinding(args);
    assert.ok(f, `fires for ${args.join(" ")}`);
    assert.equal(f.data?.cause, "refcount", args.join(" "));
    assert.match(f.fix ?? "", /gc\.freeze\(\) will not help/);
    assert.ok((f.data?.maxChildBytes as number) >= 100 * 1024 * 1024, `copied ${f.data?.maxChildBytes}`);
  }
});

test("inherited lists walked by a child's gc.collect(): the advice is gc.freeze(), and with it nothing fires", { skip: !linux && "needs Linux smaps_rollup" }, async () => {
  const f = await cowFinding(["lists"]);
  assert.ok(f, "fires without gc.freeze()");
  assert.equal(f.data?.cause, "gc");
  assert.match(f.fix ?? "", /^Call gc\.freeze\(\) in the parent/);
  assert.equal(await cowFinding(["lists", "--freeze"]), undefined, "quiet with gc.freeze()");
});
