/**
 * A hook with no Python caller: `_thread.start_new_thread(conn.send, (obj,))` runs the bound
 * method at the bottom of the new thread's stack, where `sys._getframe(1)` raises. Connection
 * send / recv, Queue put / get, SimpleQueue put / get and ForkingPickler dumps / loads started
 * that way must behave as without the harness (no "Unhandled exception in thread" on stderr, the
 * same results) and be counted, on their channel, with no site. Oldest, default and newest Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, runHarness, runPlain, workspace } from "./support/harness";

const N = 4000; // payload bytes of every message

const SCRIPT = `
import multiprocessing as mp, _thread, json, time
from multiprocessing.reduction import ForkingPickler
N = ${N}

if __name__ == "__main__":
    a, b = mp.Pipe()
    q, sq = mp.Queue(), mp.SimpleQueue()
    payload = b"x" * N
    # senders at the bottom of a thread's stack; received here
    _thread.start_new_thread(a.send, (payload,))
    got = [len(b.recv())]
    _thread.start_new_thread(q.put, (payload,))
    got.append(len(q.get()))
    _thread.start_new_thread(sq.put, (payload,))
    got.append(len(sq.get()))
    # receivers at the bottom of a thread's stack; sent from here
    a.send(payload)
    _thread.start_new_thread(b.recv, ())
    q.put(payload)
    _thread.start_new_thread(q.get, ())
    sq.put(payload)
    _thread.start_new_thread(sq.get, ())
    blob = ForkingPickler.dumps(payload)
    _thread.start_new_thread(ForkingPickler.dumps, (payload,))
    _thread.start_new_thread(ForkingPickler.loads, (blob,))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (b.poll() or not q.empty() or not sq.empty()):
        time.sleep(0.01)
    time.sleep(0.3)  # let the receiving threads finish their accounting
    print(json.dumps([got, b.poll(), q.empty(), sq.empty()]))
`;

forEachPython(test, (py) => {
  test(`${py.label}: hooks started as a thread's own function (no Python caller) work and count`, async () => {
    const dir = workspace({ "noframe.py": SCRIPT });
    const r = await runHarness(py, ["noframe.py"], { cwd: dir });
    const plain = await runPlain(py, ["noframe.py"], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, plain.stderr, "no traceback from a hook");
    assert.deepEqual(JSON.parse(r.stdout.toString()), [[N, N, N], false, true, true]);
    const log = r.log;
    assert.deepEqual(log.malformed, []);
    const msg = log.dump();
    const main = log.main().pid;
    const unsited = (ch: string, dir: "send" | "recv") =>
      log.copies({ pid: main, ch: ch as never, dir }).filter((c) => c.site === null).reduce((a, c) => a + c.count, 0);
    // ForkingPickler.dumps / loads called directly count on the pipe channel, as they do with a caller
    assert.equal(unsited("pipe", "send"), 2, `conn.send and ForkingPickler.dumps at the bottom of a thread: ${msg}`);
    assert.equal(unsited("pipe", "recv"), 2, `conn.recv and ForkingPickler.loads at the bottom of a thread: ${msg}`);
    assert.equal(unsited("queue", "send"), 2, `Queue.put and SimpleQueue.put at the bottom of a thread: ${msg}`);
    assert.equal(unsited("queue", "recv"), 2, `Queue.get and SimpleQueue.get at the bottom of a thread: ${msg}`);
  });
});
