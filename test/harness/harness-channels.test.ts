/**
 * Pool.map, ProcessPoolExecutor.submit and Manager proxies are classified on their own channels
 * and attributed to the user's call, even though the pickling happens in the pool's / executor's
 * own threads; the manager server runs in a process with role "manager".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, lineOf, runHarness, START_METHODS, workspace } from "./support/harness";

const SCRIPT = `
import multiprocessing as mp, sys, json
from concurrent.futures import ProcessPoolExecutor

def sq(x):
    return x * x

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    pool = ctx.Pool(2)
    res = pool.map(sq, range(100), chunksize=10)  # MAP
    pool.close()
    pool.join()
    assert sum(res) == sum(x * x for x in range(100))

    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        fut = ex.submit(sq, 12)  # SUBMIT
        assert fut.result() == 144
        workers = list(ex._processes)

    with ctx.Manager() as m:
        d = m.dict()  # DICT
        d["k"] = "v" * 1000  # SETITEM
        assert len(d["k"]) == 1000  # GETITEM
        manager = m._process.pid
    print(json.dumps({"manager": manager, "executor": workers}))
`;

forEachPython(test, (py) => {
  for (const method of START_METHODS) {
    test(`${py.label} ${method}: pool, executor and manager channels at the user's lines`, async () => {
      const dir = workspace({ "chan.py": SCRIPT });
      const r = await runHarness(py, ["chan.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const truth = JSON.parse(r.stdout.toString()) as { manager: number; executor: number[] };
      const log = r.log;
      assert.deepEqual(log.malformed, []);
      const main = log.main().pid;
      const msg = log.dump();
      const one = (ch: "pool" | "executor" | "manager", dir: "send" | "recv", marker: string) => {
        const rows = log.copies({ pid: main, ch, dir, line: lineOf(SCRIPT, marker) });
        assert.equal(rows.length, 1, `${ch} ${dir} at ${marker}: ${msg}`);
        assert.ok(rows[0]!.site!.file.endsWith("/chan.py"));
        return rows[0]!;
      };

      // Pool.map: 10 chunks out (pickled by the task handler thread), 10 results back
      // (unpickled by the result handler thread), both at the map() line
      assert.equal(one("pool", "send", "# MAP").count, 10);
      assert.equal(one("pool", "recv", "# MAP").count, 10);
      const workerRecv = log.copies({ ch: "pool", dir: "recv" }).filter((c) => c.pid !== main);
      assert.ok(workerRecv.reduce((a, c) => a + c.count, 0) >= 10, msg);

      // executor: the call item (pickled by the manager thread's queue feeder) and the result
      const sub = one("executor", "send", "# SUBMIT");
      assert.equal(sub.count, 1);
      assert.ok(sub.bytes > 20);
      assert.equal(one("executor", "recv", "# SUBMIT").count, 1);
      for (const pid of truth.executor) {
        assert.equal(log.hello(pid)?.role, "worker", `executor worker ${pid}`);
        assert.equal(log.hello(pid)?.startMethod, method);
      }
      assert.ok(log.copies({ ch: "executor", dir: "recv" }).some((c) => truth.executor.includes(c.pid)), msg);

      // manager: proxy creation and calls from the main process, the server in its own process
      assert.ok(one("manager", "send", "# DICT").count >= 1);
      // exactly the user's call: the proxy's connection handshake and reference counting are
      // manager traffic without a user site
      const set = one("manager", "send", "# SETITEM");
      assert.equal(set.count, 1);
      assert.ok(set.bytes >= 1000 && set.bytes < 1200, `setitem ${set.bytes}`);
      assert.equal(one("manager", "recv", "# GETITEM").count, 1);
      assert.ok(log.copies({ pid: main, ch: "manager", dir: "send" }).some((c) => c.site === null), msg);
      assert.ok(one("manager", "recv", "# GETITEM").bytes >= 1000);
      const server = log.hello(truth.manager);
      assert.equal(server?.role, "manager", msg);
      assert.equal(server?.startMethod, method);
      assert.ok(log.copies({ pid: truth.manager, ch: "manager", dir: "recv" }).length > 0, msg);
      assert.equal(log.children(main).find((c) => c.child === truth.manager)?.role, "manager");
      const created = log.shm().filter((s) => s.pid === main && s.kind === "manager" && s.op === "create");
      assert.ok(created.some((s) => s.name.startsWith("dict:") && log.site(main, s.site)?.line === lineOf(SCRIPT, "# DICT")), msg);
      assert.ok(log.shm().some((s) => s.kind === "manager" && s.op === "unlink"), msg);
    });
  }
});
