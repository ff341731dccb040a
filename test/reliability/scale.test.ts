/**
 * Scale, in versions small enough for CI: 256 processes in one run, every one of them accounted
 * for. (10 million messages through the host model is a unit test: test/unit/core-model.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli, sum, workspace } from "../support/cli";

const N = 256;

test(`${N} worker processes in one run: each has its hello, its exit code and its copies`, { timeout: 600_000 }, async () => {
  const dir = workspace({
    "many.py": `
import multiprocessing as mp
def work(q, i):
    q.put(i)
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = []
    for i in range(${N}):
        p = ctx.Process(target=work, args=(q, i))
        p.start()
        procs.append(p)
    got = sorted(q.get() for _ in procs)
    for p in procs:
        p.join()
    assert got == list(range(${N})), got
    print("ok", sum(p.exitcode == 0 for p in procs))
`,
  });
  const r = await runCli(["run", "--quiet", "many.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `ok ${N}`);
  const p = r.profile!;
  const workers = p.processes.filter((x) => x.role === "worker" && x.startMethod === "fork");
  assert.equal(workers.length, N, `${workers.length} workers in the profile`);
  assert.ok(workers.every((w) => w.instrumented && w.exitCode === 0), "every worker said hello and its exit code is known");
  const puts = p.copies.filter((c) => c.channel === "queue" && c.direction === "send");
  assert.equal(sum(puts, (c) => c.count), N, "one put per worker, none lost");
  assert.equal(new Set(puts.map((c) => c.pid)).size, N);
});
