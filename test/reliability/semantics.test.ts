/**
 * Issue 8, semantics: multiprocessing's edge cases raise and behave exactly as without the harness.
 * Each script runs plainly and under `wmprof run`; stdout, stderr and the exit code must match
 * (after normalising pids and addresses). A signal death counts as 128+N, as a shell reports it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { constants } from "node:os";
import { join } from "node:path";
import { workspace } from "../support/cli";
import { interpreters, normalize, runPlain, runWm, scriptStderr } from "./support";

const SCRIPTS: Record<string, string> = {
  unpicklable: `
import multiprocessing as mp, threading
def f(x): return x
if __name__ == "__main__":
    mp.set_start_method("spawn")
    with mp.Pool(1) as p:
        try:
            p.apply(f, (threading.Lock(),))
        except Exception as e:
            print("pool:", type(e).__name__, e)
    try:
        mp.Process(target=f, args=(lambda: 1,)).start()
    except Exception as e:
        print("process:", type(e).__name__)
    q = mp.Queue()
    try:
        q.put(threading.Lock()); q.get(timeout=1)
    except Exception as e:
        print("queue:", type(e).__name__)
`,
  reduce_raises: `
import multiprocessing as mp
class Bad:
    def __reduce__(self): raise RuntimeError("no pickling for you")
class BadLoad:
    def __reduce__(self): return (boom, ())
def boom(): raise ValueError("no unpickling either")
def f(x): return 1
if __name__ == "__main__":
    a, b = mp.Pipe()
    try:
        a.send(Bad())
    except RuntimeError as e:
        print("send:", e)
    a.send(BadLoad())
    try:
        b.recv()
    except ValueError as e:
        print("recv:", e)
    with mp.get_context("spawn").Pool(1) as p:
        try:
            p.apply(f, (Bad(),))
        except RuntimeError as e:
            print("pool:", e)
`,
  keyboard_interrupt_in_worker: `
import multiprocessing as mp, sys
def f():
    raise KeyboardInterrupt
def g(x):
    raise KeyboardInterrupt
if __name__ == "__main__":
    for m in ("fork", "spawn"):
        p = mp.get_context(m).Process(target=f); p.start(); p.join()
        print(m, "exitcode", p.exitcode)
    sys.stdout.flush()
`,
  exit_codes: `
import multiprocessing as mp, os, sys
def ex(n): sys.exit(n)
def exs(): sys.exit("a message")
def hard(): os._exit(7)
def raise_(): raise ValueError("boom")
if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    for t, a in ((ex, (0,)), (ex, (3,)), (ex, (None,)), (hard, ()), (exs, ()), (raise_, ())):
        p = ctx.Process(target=t, args=a); p.start(); p.join()
        print(t.__name__, a, p.exitcode, flush=True)
    sys.exit(5)
`,
  os_exit_main: `
import os, multiprocessing as mp
if __name__ == "__main__":
    q = mp.Queue(); q.put(1); print(q.get(), flush=True)
    os._exit(9)
`,
  daemonic: `
import multiprocessing as mp, time
def forever():
    while True: time.sleep(0.05)
def child_of_daemon():
    try:
        mp.Process(target=forever).start()
    except AssertionError as e:
        print("nested:", e, flush=True)
if __name__ == "__main__":
    d = mp.Process(target=forever, daemon=True); d.start()
    n = mp.Process(target=child_of_daemon, daemon=True); n.start(); n.join()
    print("daemon alive", d.is_alive(), flush=True)
`,
  terminate_kill: `
import multiprocessing as mp, time
def forever():
    while True: time.sleep(0.05)
if __name__ == "__main__":
    for m in ("fork", "spawn", "forkserver"):
        ctx = mp.get_context(m)
        a = ctx.Process(target=forever); a.start(); a.terminate(); a.join()
        b = ctx.Process(target=forever); b.start(); b.kill(); b.join()
        print(m, a.exitcode, b.exitcode)
        b.close()
        try:
            b.is_alive()
        except ValueError as e:
            print("closed:", e)
`,
  pool_terminate_nested: `
import multiprocessing as mp, time
def slow(x):
    time.sleep(30); return x
def sq(x): return x * x
def inner(n):
    with mp.get_context("spawn").Pool(2) as p:
        return sum(p.map(sq, range(n)))
if __name__ == "__main__":
    p = mp.Pool(2); r = p.map_async(slow, range(4)); time.sleep(0.2); p.terminate(); p.join()
    print("terminated", r.ready())
    # nested: a non-daemonic process may start a pool
    ctx = mp.get_context("spawn")
    q = ctx.Process(target=inner, args=(10,)); q.start(); q.join(); print("nested exit", q.exitcode)
    # a pool inside a pool worker (daemonic) is refused the same way
    with mp.Pool(1) as p:
        try:
            print(p.apply(inner, (5,)))
        except AssertionError as e:
            print("pool in pool:", e)
`,
  manager_shutdown: `
import multiprocessing as mp
if __name__ == "__main__":
    for m in ("fork", "spawn"):
        mgr = mp.get_context(m).Manager()
        d = mgr.dict(a=1); l = mgr.list([1, 2])
        print(m, dict(d), list(l))
        mgr.shutdown()
        try:
            d["b"] = 2
        except Exception as e:
            print("after shutdown:", type(e).__name__)
        mgr.shutdown()
`,
  set_start_method_twice: `
import multiprocessing as mp
if __name__ == "__main__":
    mp.set_start_method("spawn")
    try:
        mp.set_start_method("fork")
    except RuntimeError as e:
        print("second:", e)
    mp.set_start_method("forkserver", force=True)
    print(mp.get_start_method())
    with mp.Pool(1) as p: print(p.map(abs, [-1, -2]))
`,
  uncaught_in_child_and_main: `
import multiprocessing as mp
def f(): raise ValueError("in child")
if __name__ == "__main__":
    p = mp.get_context("spawn").Process(target=f); p.start(); p.join()
    print("child exit", p.exitcode, flush=True)
    raise KeyError("in main")
`,
};

const pythons = interpreters();
/**
 * Pool.terminate() with tasks in flight makes CPython's resource tracker warn about leaked
 * semaphores in some runs and not others, with or without the harness (seen plainly in 1 of 3
 * runs of python3.11): a race in CPython, so those two-line warnings are not compared.
 */
const raceless = (s: string) => s.replace(/^.*resource_tracker\.py:\d+: UserWarning: resource_tracker: .*\n {2}warnings\.warn\(.*\n/gm, "");
const sigToCode = (r: { code: number | null; signal: NodeJS.Signals | null }) => (r.signal ? 128 + (constants.signals[r.signal] ?? 0) : r.code);

for (const py of pythons) {
  for (const [name, src] of Object.entries(SCRIPTS)) {
    test(`${name} (${py}): same stdout, stderr and exit code with and without the harness`, async () => {
      const dir = workspace({ "s.py": src });
      // By absolute path: Python 3.8 shows a relative script path in tracebacks, the runner an
      // absolute one (documented in harness/python/README.md and docs/guarantees.md).
      const script = join(dir, "s.py");
      const plain = await runPlain(py, [script], dir);
      const wm = await runWm(py, [script], dir);
      assert.equal(wm.code, sigToCode(plain), `exit code; wmprof stderr: ${wm.stderr}`);
      assert.equal(normalize(wm.stdout), normalize(plain.stdout), "stdout");
      const cmp = name === "pool_terminate_nested" ? raceless : (x: string) => x;
      assert.equal(cmp(normalize(scriptStderr(wm.stderr))), cmp(normalize(plain.stderr)), "stderr");
      assert.ok(wm.profile, "a profile was written");
    });
  }
}
