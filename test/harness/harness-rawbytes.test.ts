/**
 * Raw bytes through a Pipe: Connection.send_bytes / recv_bytes / recv_bytes_into called by the
 * user's own code are counted on the pipe channel at the user's lines, both directions, with the
 * exact number of bytes copied (offset / size, buffers of wider items), no pickling time, `big`
 * events from 64 KiB. multiprocessing's own calls to the same methods (a Queue's feeder and get,
 * a manager's authentication handshake) stay counted as they were, once. A call that raises
 * raises the same exception as without the harness and counts nothing. Ground truth is what the
 * script sends; each start method on the oldest, default and newest Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, lineOf, runHarness, runPlain, START_METHODS, workspace, type Copy } from "./support/harness";

const R = 3; // rounds of every raw message
const S1 = 100_000; // bytes (>= 64 KiB: `big` events)
const S2 = 300; // bytearray
const V = 1000; // memoryview slice, sent with offset / size
const D = 1000; // array('d') items (8 bytes each)
const PART = 64; // bytes of the array sent with offset 16
const E = 70_000; // child -> parent (>= 64 KiB)
const T = 2000; // sent by a thread whose target is send_bytes itself
const T2 = 3000; // ... and by a _thread with no Python frame at all above send_bytes
const K = 5; // Queue messages
const QS = 1000; // bytes each
const MS = 5000; // manager payload

const SCRIPT = `
import multiprocessing as mp, sys, json, array, threading, _thread
from multiprocessing.connection import BufferTooShort
R, S1, S2, V, D, PART, E, T, T2, K, QS, MS = ${R}, ${S1}, ${S2}, ${V}, ${D}, ${PART}, ${E}, ${T}, ${T2}, ${K}, ${QS}, ${MS}
BLOB = bytes(range(256)) * 40

def bound(q):  # a Queue's own send_bytes / recv_bytes: connection.py's, even under the harness
    return [m.__func__.__code__.co_filename.rsplit("/", 1)[-1] for m in (q._send_bytes, q._recv_bytes)]

def child(conn, q, rq):
    checks = []
    into = bytearray(V + 7)
    arr = array.array("d", [0.0] * 12)
    for i in range(R):
        x = conn.recv_bytes()  # C-RECV-BYTES
        y = conn.recv_bytes()  # C-RECV-BYTEARRAY
        n = conn.recv_bytes_into(into, 7)  # C-INTO-VIEW
        z = conn.recv_bytes()  # C-RECV-ARRAY
        m = conn.recv_bytes_into(arr, 16)  # C-INTO-ARRAY
        checks.append([len(x), len(y), n, bytes(into[7:]) == BLOB[15:15 + V],
                       z == array.array("d", [float(j) for j in range(D)]).tobytes(), m, arr[2:10].tolist()])
        conn.send_bytes(x, 0, E)  # C-SEND-PART
        conn.send_bytes(memoryview(y))  # C-SEND-VIEW
    t = conn.recv_bytes()  # C-RECV-THREAD
    t2 = conn.recv_bytes()  # C-RECV-NOFRAME
    got = [len(q.get()) for _ in range(K)]  # Q-GET
    rq.put({"checks": checks, "thread": [len(t), len(t2)], "got": got, "bound": bound(q) + bound(rq)})  # Q-SUMMARY

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    a, b = ctx.Pipe()
    q, rq = ctx.Queue(), ctx.Queue()
    p = ctx.Process(target=child, args=(b, q, rq))
    p.start()
    src = array.array("d", [float(j) for j in range(D)])
    dst = bytearray(S2 + 5)
    back = []
    for i in range(R):
        a.send_bytes(bytes(S1))  # P-SEND-BYTES
        a.send_bytes(bytearray(b"b" * S2))  # P-SEND-BYTEARRAY
        a.send_bytes(memoryview(BLOB)[5:], 10, V)  # P-SEND-VIEW
        a.send_bytes(src)  # P-SEND-ARRAY
        a.send_bytes(src, 16, PART)  # P-SEND-PART
        r = a.recv_bytes()  # P-RECV
        k = a.recv_bytes_into(dst, 5)  # P-INTO
        back.append([len(r), k, bytes(dst[5:]) == b"b" * S2])
    th = threading.Thread(target=a.send_bytes, args=(b"t" * T,))
    th.start()
    th.join()
    _thread.start_new_thread(a.send_bytes, (b"u" * T2,))
    for i in range(K):
        q.put(bytes(QS))  # Q-PUT
    res = rq.get()  # Q-COLLECT
    p.join()

    with ctx.Manager() as mgr:
        d = mgr.dict()
        d["k"] = b"m" * MS  # MGR-SET
        assert len(d["k"]) == MS  # MGR-GET
        manager = mgr._process.pid

    errs = []
    c1, c2 = ctx.Pipe()
    c1.close()
    try:
        c1.send_bytes(b"x" * 10)  # ERR-CLOSED
    except OSError as e:
        errs.append(["closed", type(e).__name__, str(e)])
    try:
        c2.send_bytes(b"abc", 5)  # ERR-OFFSET
    except ValueError as e:
        errs.append(["offset", type(e).__name__, str(e)])
    c3, c4 = ctx.Pipe()
    c4.send_bytes(b"y" * 50)  # ERR-FEED
    try:
        c3.recv_bytes_into(bytearray(10))  # ERR-SHORT
    except BufferTooShort as e:
        errs.append(["short", type(e).__name__, str(e)])
    c4.send_bytes(b"z" * 100)  # ERR-LONG
    try:
        c3.recv_bytes(10)  # ERR-MAXLEN
    except OSError as e:
        errs.append(["maxlen", type(e).__name__, str(e), c3.closed])
    c5, c6 = ctx.Pipe()
    c6.close()
    try:
        c5.recv_bytes()  # ERR-EOF
    except EOFError as e:
        errs.append(["eof", type(e).__name__, str(e)])
    print(json.dumps({"child": p.pid, "code": p.exitcode, "manager": manager, "back": back, "res": res, "errs": errs,
                      "bound": bound(q) + bound(rq)}))
`;

interface Truth {
  child: number;
  code: number;
  manager: number;
  back: Array<[number, number, boolean]>;
  res: { checks: unknown[][]; thread: number[]; got: number[]; bound: string[] };
  errs: unknown[][];
  bound: string[];
}

forEachPython(test, (py) => {
  for (const method of START_METHODS) {
    test(`${py.label} ${method}: send_bytes / recv_bytes / recv_bytes_into counted at the user's lines, once`, async () => {
      const dir = workspace({ "raw.py": SCRIPT });
      const r = await runHarness(py, ["raw.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const truth = JSON.parse(r.stdout.toString()) as Truth;
      const log = r.log;
      assert.deepEqual(log.malformed, []);
      const main = log.main().pid;
      const msg = log.dump();

      // the script's own view: same data, same return values, same errors as without the harness
      assert.equal(truth.code, 0);
      const checks = Array.from({ length: R }, () => [S1, S2, V, true, true, PART, [2, 3, 4, 5, 6, 7, 8, 9]]);
      const bound = Array(4).fill("connection.py");
      assert.deepEqual(truth.res, { checks, thread: [T, T2], got: Array(K).fill(QS), bound });
      assert.deepEqual(truth.bound, bound, "a Queue's feeder and get() call the original methods: no raw-bytes check");
      assert.deepEqual(truth.back, Array(R).fill([E, S2, true]));
      const plain = await runPlain(py, ["raw.py", method], { cwd: dir });
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(r.stderr, plain.stderr, "nothing on stderr that plain Python does not print");
      const plainErrs = (JSON.parse(plain.stdout.toString()) as Truth).errs;
      assert.equal(truth.errs.length, 5, JSON.stringify(truth.errs));
      assert.deepEqual(truth.errs, plainErrs);

      // every pipe row of the run, in every process, is one of these: nothing else is counted as
      // pipe (no Queue feeder / get, no handshake of the manager, in the main process, the child
      // or the manager server)
      const expected: Array<[number, "send" | "recv", string | null, number, number]> = [
        [main, "send", "# P-SEND-BYTES", R, R * S1],
        [main, "send", "# P-SEND-BYTEARRAY", R, R * S2],
        [main, "send", "# P-SEND-VIEW", R, R * V],
        [main, "send", "# P-SEND-ARRAY", R, R * D * 8],
        [main, "send", "# P-SEND-PART", R, R * PART],
        // a Thread (no user frame above threading's run()) and a _thread (no Python caller at all)
        [main, "send", null, 2, T + T2],
        [main, "send", "# ERR-FEED", 1, 50],
        [main, "send", "# ERR-LONG", 1, 100],
        [main, "recv", "# P-RECV", R, R * E],
        [main, "recv", "# P-INTO", R, R * S2],
        [truth.child, "recv", "# C-RECV-BYTES", R, R * S1],
        [truth.child, "recv", "# C-RECV-BYTEARRAY", R, R * S2],
        [truth.child, "recv", "# C-INTO-VIEW", R, R * V],
        [truth.child, "recv", "# C-RECV-ARRAY", R, R * D * 8],
        [truth.child, "recv", "# C-INTO-ARRAY", R, R * PART],
        [truth.child, "recv", "# C-RECV-THREAD", 1, T],
        [truth.child, "recv", "# C-RECV-NOFRAME", 1, T2],
        [truth.child, "send", "# C-SEND-PART", R, R * E],
        [truth.child, "send", "# C-SEND-VIEW", R, R * S2],
      ];
      const key = (c: Copy) => `${c.pid} ${c.dir} ${c.site ? c.site.line : "-"} ${c.count} ${c.bytes}`;
      const want = expected.map(([pid, d, marker, count, bytes]) => `${pid} ${d} ${marker ? lineOf(SCRIPT, marker) : "-"} ${count} ${bytes}`);
      const pipe = log.copies({ ch: "pipe" });
      assert.deepEqual(pipe.map(key).sort(), want.sort(), msg);
      for (const c of pipe) {
        assert.equal(c.ns, 0, `raw bytes have no pickling time: ${key(c)}`);
        if (c.site) assert.ok(c.site.file.endsWith("/raw.py"), JSON.stringify(c.site));
        assert.equal(c.hist.reduce((a, x) => a + x, 0), c.count);
      }
      const at = (pid: number, d: "send" | "recv", marker: string) => pipe.find((c) => c.pid === pid && c.dir === d && c.site?.line === lineOf(SCRIPT, marker))!;
      assert.equal(at(main, "send", "# P-SEND-BYTES").hist[6], R, "64K..256K bucket");
      assert.equal(at(main, "send", "# P-SEND-BYTEARRAY").hist[2], R, "256..1K bucket");
      assert.equal(at(main, "send", "# P-SEND-PART").hist[1], R, "64..256 bucket");
      assert.equal(at(truth.child, "recv", "# C-RECV-ARRAY").hist[4], R, "4K..16K bucket");
      assert.equal(at(truth.child, "recv", "# C-INTO-VIEW").site!.function, "child");

      // `big` events: one per message >= 64 KiB, on both sides, ns 0
      const bigs = log.of("big").filter((b) => b.ch === "pipe");
      const bigAt = (pid: number, d: "send" | "recv", n: number) => bigs.filter((b) => b.pid === pid && b.dir === d && b.bytes === n);
      assert.equal(bigAt(main, "send", S1).length, R, msg);
      assert.equal(bigAt(truth.child, "recv", S1).length, R, msg);
      assert.equal(bigAt(truth.child, "send", E).length, R, msg);
      assert.equal(bigAt(main, "recv", E).length, R, msg);
      assert.equal(bigs.length, 4 * R, msg);
      assert.ok(bigs.every((b) => b.ns === 0), msg);

      // the Queue: counted once, as queue traffic, at its own lines
      const queue = log.copies({ ch: "queue" });
      assert.equal(queue.length, 4, msg);
      const q = (pid: number, d: "send" | "recv", marker: string) => {
        const rows = queue.filter((c) => c.pid === pid && c.dir === d && c.site?.line === lineOf(SCRIPT, marker));
        assert.equal(rows.length, 1, `${marker}: ${msg}`);
        return rows[0]!;
      };
      const put = q(main, "send", "# Q-PUT");
      assert.equal(put.count, K);
      assert.ok(put.bytes >= K * QS && put.bytes <= K * (QS + 64), `queue bytes ${put.bytes}`);
      assert.equal(q(truth.child, "recv", "# Q-GET").count, K);
      assert.equal(q(truth.child, "recv", "# Q-GET").bytes, put.bytes);
      assert.equal(q(truth.child, "send", "# Q-SUMMARY").count, 1);
      assert.equal(q(main, "recv", "# Q-COLLECT").bytes, q(truth.child, "send", "# Q-SUMMARY").bytes);

      // the manager: exactly the user's calls at their lines; its server counts no pipe traffic
      const mgr = (d: "send" | "recv", marker: string) => log.copies({ pid: main, ch: "manager", dir: d, line: lineOf(SCRIPT, marker) });
      const set = mgr("send", "# MGR-SET");
      assert.equal(set.length, 1, msg);
      assert.equal(set[0]!.count, 1);
      assert.ok(set[0]!.bytes >= MS && set[0]!.bytes < MS + 200, `manager set ${set[0]!.bytes}`);
      assert.equal(mgr("recv", "# MGR-GET")[0]?.count, 1, msg);
      assert.equal(log.hello(truth.manager)?.role, "manager", msg);
      assert.ok(log.copies({ pid: truth.manager, ch: "manager" }).length > 0, msg);

      // failed calls count nothing, on any channel
      for (const marker of ["# ERR-CLOSED", "# ERR-OFFSET", "# ERR-SHORT", "# ERR-MAXLEN", "# ERR-EOF"]) {
        assert.deepEqual(log.copies({ line: lineOf(SCRIPT, marker) }), [], `${marker}: ${msg}`);
      }
      assert.equal(log.of("bye", main).at(-1)?.exitCode, 0);
      assert.equal(log.of("bye", truth.child).at(-1)?.exitCode, 0);
    });
  }
});
