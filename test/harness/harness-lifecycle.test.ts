/**
 * Process lifecycle: every Python process of a run says hello with its role (Pool and executor
 * workers, the manager server, the forkserver, the resource tracker, plain subprocesses via the
 * sitecustomize fallback), even under `python -I`; a SIGKILLed worker is reaped with -9 and keeps
 * what it had flushed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { forEachPython, HARNESS_DIR, lineOf, runHarness, START_METHODS, workspace } from "./support/harness";

const K = 30;

const KILL_SCRIPT = `
import multiprocessing as mp, sys, json, os, signal, time

def victim(conn):
    for i in range(${K}):
        conn.send(b"v" * 200)  # VSEND
    time.sleep(0.4)  # the next message comes > 250 ms later: its hook flushes the counters
    conn.send("ready")
    time.sleep(60)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    a, b = ctx.Pipe()
    p = ctx.Process(target=victim, args=(b,))
    p.start()
    while a.recv() != "ready":
        pass
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    print(json.dumps({"victim": p.pid, "code": p.exitcode}))
`;

const QUEUE_KILL_SCRIPT = `
import multiprocessing as mp, sys, json, os, signal, time

def victim(q):
    for i in range(${K}):
        q.put(b"q" * 300)  # QPUT
    time.sleep(60)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q = ctx.Queue()
    p = ctx.Process(target=victim, args=(q,))
    p.start()
    for i in range(${K}):
        q.get()
    time.sleep(0.8)  # the victim's feeder thread flushes 250 ms after its buffer ran empty
    os.kill(p.pid, signal.SIGKILL)
    p.join()
    print(json.dumps({"victim": p.pid, "code": p.exitcode}))
`;

const ALL_SCRIPT = `
import multiprocessing as mp, sys, json, os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker

def pid(_):
    return os.getpid()

if __name__ == "__main__":
    method = sys.argv[1]
    ctx = mp.get_context(method)
    pool = ctx.Pool(3)
    pool.map(pid, range(30), chunksize=1)
    pool_pids = [w.pid for w in pool._pool]
    pool.close()
    pool.join()
    with ProcessPoolExecutor(2, mp_context=ctx) as ex:
        list(ex.map(pid, range(8)))
        ex_pids = list(ex._processes)
    with ctx.Manager() as m:
        m.list([1, 2, 3])
        manager = m._process.pid
    fs = None
    if method == "forkserver":
        from multiprocessing import forkserver
        fs = forkserver._forkserver._forkserver_pid
    print(json.dumps({"pool": pool_pids, "executor": ex_pids, "manager": manager, "forkserver": fs,
                      "tracker": resource_tracker._resource_tracker._pid}))
`;

const SUB_SCRIPT = `
import subprocess, sys, json
out = subprocess.run([sys.executable, "child.py"], capture_output=True, text=True, check=True).stdout
print(out.strip())
`;
const CHILD_SCRIPT = `
import os, json, builtins
import multiprocessing as mp
def f(q):
    q.put(os.getpid())
if __name__ == "__main__":
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    p = ctx.Process(target=f, args=(q,))
    p.start()
    grandchild = q.get()  # SQ-GET
    p.join()
    print(json.dumps({"pid": os.getpid(), "grandchild": grandchild, "chained": getattr(builtins, "chained_sitecustomize", False)}))
`;

forEachPython(test, (py) => {
  for (const method of ["fork", "spawn"]) {
    test(`${py.label} ${method}: a SIGKILLed worker is reaped with -9 and keeps its flushed counters`, async () => {
      const dir = workspace({ "kill.py": KILL_SCRIPT });
      const r = await runHarness(py, ["kill.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const truth = JSON.parse(r.stdout.toString()) as { victim: number; code: number };
      assert.equal(truth.code, -9);
      const log = r.log;
      const main = log.main().pid;
      assert.deepEqual(log.reaps(main).filter((x) => x.child === truth.victim).map((x) => x.exitCode), [-9]);
      assert.equal(log.hello(truth.victim)?.role, "worker");
      assert.equal(log.of("bye", truth.victim).length, 0, "a killed process has no bye");
      const sent = log.copies({ pid: truth.victim, ch: "pipe", dir: "send", line: lineOf(KILL_SCRIPT, "# VSEND") });
      assert.equal(sent.length, 1, log.dump());
      assert.equal(sent[0]!.count, K);
      assert.equal(log.of("bye", main).at(-1)?.exitCode, 0);
    });
  }

  test(`${py.label}: a worker killed after its Queue puts keeps them (the idle feeder flushed)`, async () => {
    const dir = workspace({ "qkill.py": QUEUE_KILL_SCRIPT });
    const r = await runHarness(py, ["qkill.py", "fork"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const truth = JSON.parse(r.stdout.toString()) as { victim: number; code: number };
    assert.equal(truth.code, -9);
    const log = r.log;
    const put = log.copies({ pid: truth.victim, ch: "queue", dir: "send", line: lineOf(QUEUE_KILL_SCRIPT, "# QPUT") });
    assert.equal(put[0]?.count, K, log.dump());
    assert.equal(log.of("bye", truth.victim).length, 0);
  });

  for (const method of START_METHODS) {
    test(`${py.label} ${method}: every process of the run says hello with its role`, async () => {
      const dir = workspace({ "all.py": ALL_SCRIPT });
      const r = await runHarness(py, ["all.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const t = JSON.parse(r.stdout.toString()) as { pool: number[]; executor: number[]; manager: number; forkserver: number | null; tracker: number | null };
      const log = r.log;
      const msg = log.dump();
      const main = log.main();
      assert.equal(main.name, "MainProcess");
      assert.equal(main.version.split(".").slice(0, 2).join("."), py.version.join("."));
      const expect = (pid: number, role: string, startMethod: string | null) => {
        const h = log.hello(pid);
        assert.ok(h, `no hello from ${role} ${pid}: ${msg}`);
        assert.equal(h.role, role, `${pid}`);
        assert.equal(h.startMethod, startMethod, `${role} ${pid}`);
        assert.equal(log.of("hello", pid).length, 1, `one hello per process: ${pid}`);
      };
      assert.equal(t.pool.length, 3);
      for (const pid of t.pool) expect(pid, "worker", method);
      for (const pid of t.executor) expect(pid, "worker", method);
      expect(t.manager, "manager", method);
      for (const pid of [...t.pool, ...t.executor, t.manager]) {
        assert.ok(log.children(main.pid).some((c) => c.child === pid && c.startMethod === method), `child event for ${pid}`);
        assert.equal(log.of("bye", pid).at(-1)?.exitCode, 0, `bye of ${pid}`);
      }
      if (method === "forkserver") {
        expect(t.forkserver!, "forkserver", "exec");
        for (const pid of [...t.pool, ...t.executor, t.manager]) assert.equal(log.hello(pid)!.ppid, t.forkserver);
      }
      if (t.tracker !== null) expect(t.tracker, "resource_tracker", "exec");
      if (method !== "fork") assert.ok(t.tracker !== null, "spawn / forkserver start the resource tracker");
      // every process that said hello ended normally and said bye, last
      for (const pid of log.pids()) {
        const evs = log.events.filter((e) => e.pid === pid);
        assert.equal(evs[0]!.e, "hello", `${pid} starts with hello`);
        assert.equal(evs.at(-1)!.e, "bye", `${pid} ends with bye: ${msg}`);
      }
    });
  }

  test(`${py.label}: under python -I, spawn and forkserver children and helpers are still instrumented`, async () => {
    const dir = workspace({ "all.py": ALL_SCRIPT });
    const r = await runHarness(py, ["all.py", "forkserver"], { cwd: dir, pyFlags: ["-I"], env: { PYTHONPATH: "" } });
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout.toString()) as { pool: number[]; manager: number; forkserver: number; tracker: number };
    const log = r.log;
    for (const pid of t.pool) assert.equal(log.hello(pid)?.role, "worker", log.dump());
    assert.equal(log.hello(t.manager)?.role, "manager");
    assert.equal(log.hello(t.forkserver)?.role, "forkserver");
    assert.equal(log.hello(t.tracker)?.role, "resource_tracker");
    assert.ok(log.copies({ ch: "pool", dir: "recv" }).some((c) => t.pool.includes(c.pid)));
  });

  test(`${py.label}: a Python subprocess is instrumented through sitecustomize, which chains to the next one`, async () => {
    const dir = workspace({
      "sub.py": SUB_SCRIPT,
      "child.py": CHILD_SCRIPT,
      "other/sitecustomize.py": "import builtins\nbuiltins.chained_sitecustomize = True\n",
    });
    const r = await runHarness(py, ["sub.py"], { cwd: dir, env: { PYTHONPATH: `${HARNESS_DIR}:${join(dir, "other")}` } });
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout.toString()) as { pid: number; grandchild: number; chained: boolean };
    assert.equal(t.chained, true, "the shadowed sitecustomize ran");
    const log = r.log;
    const main = log.main().pid;
    const sub = log.hello(t.pid);
    assert.equal(sub?.role, "subprocess", log.dump());
    assert.equal(sub?.startMethod, "exec");
    assert.equal(sub?.ppid, main);
    assert.equal(log.hello(t.grandchild)?.role, "worker");
    assert.equal(log.hello(t.grandchild)?.ppid, t.pid);
    const got = log.copies({ pid: t.pid, ch: "queue", dir: "recv", line: lineOf(CHILD_SCRIPT, "# SQ-GET") });
    assert.equal(got[0]?.count, 1, log.dump());
    assert.equal(got[0]?.site?.file, join(dir, "child.py"));
  });
});
