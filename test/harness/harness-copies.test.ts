/**
 * The harness counts every pickled byte at the user's line: Queue (feeder thread), Pipe, and the
 * Process object itself (pickled under spawn / forkserver, inherited under fork). Ground truth is
 * what the script sends; each start method on the oldest, default and newest Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, lineOf, runHarness, START_METHODS, total, workspace } from "./support/harness";

const N = 12; // queue messages
const S = 100_000; // bytes each (>= 64 KiB: also `big` events)
const P = 25; // pipe round trips
const PS = 300; // pipe payload
const A = 3_000_000; // Process argument

const SCRIPT = `
import multiprocessing as mp, sys, json
N, S, P, PS, A = ${N}, ${S}, ${P}, ${PS}, ${A}

def consumer(q, done):
    got = 0
    for _ in range(N):
        got += len(q.get())  # GET
    done.put(got)

def echo(conn):
    for _ in range(P):
        m = conn.recv()  # CHILD-RECV
        conn.send(m)  # CHILD-SEND

def big_arg(blob):
    assert len(blob) == A

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    q, done = ctx.Queue(), ctx.SimpleQueue()
    c = ctx.Process(target=consumer, args=(q, done))
    c.start()
    for i in range(N):
        q.put(bytes(S))  # PUT
    assert done.get() == N * S
    c.join()

    a, b = ctx.Pipe()
    e = ctx.Process(target=echo, args=(b,))
    e.start()
    for i in range(P):
        a.send(b"p" * PS)  # SEND
        assert len(a.recv()) == PS  # RECV
    e.join()

    g = ctx.Process(target=big_arg, args=(bytes(A),))
    g.start()  # START
    g.join()
    print(json.dumps({"consumer": c.pid, "echo": e.pid, "arg": g.pid, "codes": [c.exitcode, e.exitcode, g.exitcode]}))
`;

forEachPython(test, (py) => {
  for (const method of START_METHODS) {
    test(`${py.label} ${method}: queue, pipe and process-args bytes at the user's lines`, async () => {
      const dir = workspace({ "copies.py": SCRIPT });
      const r = await runHarness(py, ["copies.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const truth = JSON.parse(r.stdout.toString()) as { consumer: number; echo: number; arg: number; codes: number[] };
      assert.deepEqual(truth.codes, [0, 0, 0]);
      const log = r.log;
      assert.deepEqual(log.malformed, []);
      const main = log.main().pid;
      const msg = log.dump();

      // Queue: N puts at the put() line, pickled in the feeder thread but attributed to put()
      const puts = log.copies({ pid: main, ch: "queue", dir: "send", line: lineOf(SCRIPT, "# PUT") });
      assert.equal(puts.length, 1, msg);
      const put = puts[0]!;
      assert.equal(put.count, N, msg);
      assert.ok(put.bytes >= N * S && put.bytes <= N * (S + 64), `queue bytes ${put.bytes}`);
      assert.ok(put.site!.file.endsWith("/copies.py") && put.site!.function === "<module>", JSON.stringify(put.site));
      assert.equal(put.hist[6], N, `64K..256K bucket: ${put.hist}`);
      assert.ok(put.ns > 0);
      // ... and the same on the consumer's side, at its get() line
      const gets = log.copies({ pid: truth.consumer, ch: "queue", dir: "recv", line: lineOf(SCRIPT, "# GET") });
      assert.equal(gets.length, 1, msg);
      assert.equal(gets[0]!.count, N);
      assert.equal(gets[0]!.bytes, put.bytes);
      assert.equal(gets[0]!.site!.function, "consumer");
      // every message >= 64 KiB also has its own `big` event on both sides
      const bigs = log.of("big").filter((b) => b.ch === "queue" && b.bytes >= S);
      assert.equal(bigs.filter((b) => b.pid === main && b.dir === "send").length, N, msg);
      assert.equal(bigs.filter((b) => b.pid === truth.consumer && b.dir === "recv").length, N, msg);

      // Pipe: both directions, both processes, each at its own line
      const pipe = (pid: number, dir: "send" | "recv", marker: string) => {
        const rows = log.copies({ pid, ch: "pipe", dir, line: lineOf(SCRIPT, marker) });
        assert.equal(rows.length, 1, `${marker}: ${msg}`);
        assert.equal(rows[0]!.count, P, marker);
        assert.ok(rows[0]!.bytes >= P * PS && rows[0]!.bytes <= P * (PS + 64), `${marker} ${rows[0]!.bytes}`);
        return rows[0]!;
      };
      const sent = pipe(main, "send", "# SEND");
      assert.equal(pipe(main, "recv", "# RECV").bytes, sent.bytes);
      assert.equal(pipe(truth.echo, "recv", "# CHILD-RECV").bytes, sent.bytes);
      assert.equal(pipe(truth.echo, "send", "# CHILD-SEND").bytes, sent.bytes);

      // Process arguments: pickled under spawn / forkserver (>= the argument), inherited under fork
      const args = log.copies({ pid: main, ch: "process-args", dir: "send", line: lineOf(SCRIPT, "# START") });
      if (method === "fork") {
        assert.equal(total(log.copies({ ch: "process-args" }), (c) => c.bytes), 0, msg);
      } else {
        assert.equal(args.length, 1, msg);
        assert.equal(args[0]!.count, 1);
        assert.ok(args[0]!.bytes >= A && args[0]!.bytes < A + 4096, `process-args ${args[0]!.bytes}`);
        // the other children's Process objects are small but counted too
        const small = log.copies({ pid: main, ch: "process-args" }).filter((c) => c.bytes < 4096);
        assert.equal(total(small, (c) => c.count), 2, msg);
      }

      // lifecycle of the children
      for (const pid of [truth.consumer, truth.echo, truth.arg]) {
        const h = log.hello(pid);
        assert.ok(h, `no hello from ${pid}: ${msg}`);
        assert.equal(h.role, "worker");
        assert.equal(h.startMethod, method);
        assert.ok(h.name && /Process-\d+$/.test(h.name), h.name ?? "null");
        assert.equal(log.of("bye", pid).at(-1)?.exitCode, 0, `bye of ${pid}`);
        const child = log.children(main).find((c) => c.child === pid);
        assert.equal(child?.startMethod, method);
        assert.equal(log.reaps(main).find((x) => x.child === pid)?.exitCode, 0);
      }
      assert.equal(log.of("bye", main).at(-1)?.exitCode, 0);
    });
  }
});
