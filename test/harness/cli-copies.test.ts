/**
 * `wmprof run` end to end on real Python processes: the profile's copy counts match ground truth
 * the test creates, under every start method and on the oldest, default and newest Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pythons, runCli, sum, workspace } from "../support/cli";

const N = 20;
const S = 100_000;

const QUEUE_SCRIPT = `
import multiprocessing as mp, sys
def worker(q, out):
    got = 0
    for _ in range(${N}):
        got += len(q.get())
    out.put(got)
if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q, out = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=worker, args=(q, out))
    p.start()
    for i in range(${N}):
        q.put(bytes(${S}))  # PUT-LINE
    assert out.get() == ${N * S}
    p.join()
`;
const PUT_LINE = QUEUE_SCRIPT.split("\n").findIndex((l) => l.includes("# PUT-LINE")) + 1;

const ARGS_SCRIPT = `
import multiprocessing as mp, sys
def worker(blob):
    assert len(blob) == 5_000_000
if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    p = ctx.Process(target=worker, args=(bytes(5_000_000),))
    p.start()  # START-LINE
    p.join()
    sys.exit(p.exitcode)
`;

for (const py of pythons()) {
  for (const method of ["fork", "spawn", "forkserver"]) {
    test(`${py.label} ${method}: ${N} queue puts of ${S} B are counted at the put() line, both sides`, async () => {
      const dir = workspace({ "q.py": QUEUE_SCRIPT });
      const r = await runCli(["run", "--python", py.exe, "--quiet", "q.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const p = r.profile!;
      const sends = p.copies.filter((c) => c.channel === "queue" && c.direction === "send" && c.site?.line === PUT_LINE);
      assert.equal(sum(sends, (c) => c.count), N, JSON.stringify(p.copies));
      const sent = sum(sends, (c) => c.bytes);
      assert.ok(sent >= N * S && sent <= N * (S + 64), `sent ${sent}`);
      assert.ok(sends.every((c) => c.site!.file.endsWith("q.py") && c.site!.function === "<module>"));
      const recvs = p.copies.filter((c) => c.channel === "queue" && c.direction === "recv" && c.pid !== sends[0]!.pid);
      const bigRecv = recvs.filter((c) => c.bytes >= N * S);
      assert.equal(bigRecv.length, 1, JSON.stringify(recvs));
      assert.equal(bigRecv[0]!.count, N);
      const worker = p.processes.find((x) => x.pid === bigRecv[0]!.pid)!;
      assert.equal(worker.startMethod, method);
      assert.equal(worker.exitCode, 0);
    });
  }
  test(`${py.label}: a 5 MB Process arg is pickled under spawn and forkserver, inherited under fork`, async () => {
    const dir = workspace({ "a.py": ARGS_SCRIPT });
    const cost: Record<string, number> = {};
    for (const method of ["fork", "spawn", "forkserver"]) {
      const r = await runCli(["run", "--python", py.exe, "--quiet", "a.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      cost[method] = sum(r.profile!.copies.filter((c) => c.channel === "process-args" && c.direction === "send"), (c) => c.bytes);
    }
    assert.ok(cost.spawn! >= 5_000_000, `spawn ${cost.spawn}`);
    assert.ok(cost.forkserver! >= 5_000_000, `forkserver ${cost.forkserver}`);
    assert.ok(cost.fork! < 10_000, `fork ${cost.fork}`);
  });
}

test("Pool.map, executor submit and a Manager dict are counted on their channels", async () => {
  const dir = workspace({
    "mix.py": `
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
def square(x):
    return x * x
if __name__ == "__main__":
    with mp.get_context("spawn").Pool(2) as pool:
        assert sum(pool.map(square, range(100), chunksize=10)) == 328350  # MAP
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        futs = [ex.submit(square, i) for i in range(5)]  # SUBMIT
        assert sum(f.result() for f in futs) == 30
    with mp.Manager() as m:
        d = m.dict()
        for i in range(10):
            d[i] = "x" * 100  # MANAGER
`,
  });
  const r = await runCli(["run", "--quiet", "mix.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const p = r.profile!;
  const lineOf = (marker: string) => p.copies.find((c) => c.site && c.site.line === lineNo(dir, "mix.py", marker));
  const send = (ch: string) => p.copies.filter((c) => c.channel === ch && c.direction === "send");
  assert.ok(send("pool").length > 0 && lineOf("# MAP"), "pool traffic at the map() line");
  assert.equal(sum(send("pool").filter((c) => c.site?.line === lineNo(dir, "mix.py", "# MAP")), (c) => c.count), 10, "10 chunks");
  assert.ok(send("executor").some((c) => c.site?.line === lineNo(dir, "mix.py", "# SUBMIT")), "executor traffic at submit()");
  const mgr = send("manager").filter((c) => c.site?.line === lineNo(dir, "mix.py", "# MANAGER"));
  assert.equal(sum(mgr, (c) => c.count), 10, JSON.stringify(send("manager")));
  assert.ok(p.processes.some((x) => x.role === "manager"), "the manager server is a process of the run");
});

function lineNo(dir: string, file: string, marker: string): number {
  return readFileSync(`${dir}/${file}`, "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
}
