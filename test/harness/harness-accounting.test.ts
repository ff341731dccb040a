/**
 * Accounting details: counts and bytes stay exact when busy sites alternate through the same hook
 * (pickling time is then sampled), sizes land in the protocol's histogram buckets, messages
 * >= 64 KiB get `big` events, a fork child starts from zero, and heap samples (with tracemalloc
 * when asked) come with the flushes and at exit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, lineOf, runHarness, workspace } from "./support/harness";
import { SIZE_BUCKETS } from "../../src/protocol/events";

const M = 3000;
const SIZES = [10, 100, 1000, 5000, 20_000, 70_000, 300_000];

const SCRIPT = `
import multiprocessing as mp, os, sys, json

def echo(conn):
    while True:
        m = conn.recv()  # ECHO-RECV
        if m is None:
            break
        conn.send(len(m))  # ECHO-SEND

def forked(q):
    q.put(os.getpid())  # FORKED-PUT

if __name__ == "__main__":
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    p = ctx.Process(target=echo, args=(b,))
    p.start()
    for i in range(${M}):
        a.send(b"a")  # SITE-A
        a.recv()
        a.send(b"bb")  # SITE-B
        a.recv()
    for size in ${JSON.stringify(SIZES)}:
        a.send(bytes(size))  # SIZES
        a.recv()
    a.send(None)
    p.join()
    mq = ctx.Queue()
    for i in range(${M}):
        mq.put(b"a")  # QUEUE-A
        mq.put(b"bb")  # QUEUE-B
    for i in range(2 * ${M}):
        mq.get()  # QUEUE-GET
    q = ctx.SimpleQueue()
    c = ctx.Process(target=forked, args=(q,))
    c.start()
    forked_pid = q.get()
    c.join()
    print(json.dumps({"echo": p.pid, "forked": forked_pid}))
`;

const TRACE_SCRIPT = `
import multiprocessing as mp, sys
def child(n):
    blob = bytearray(n)
    return len(blob)
if __name__ == "__main__":
    data = [bytes(1000) for _ in range(1000)]
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=child, args=(2_000_000,))
    p.start()
    p.join()
    print(p.pid)
`;

/** Bucket of a size per SIZE_BUCKETS (exclusive upper bounds). */
function bucketOf(n: number): number {
  const i = SIZE_BUCKETS.findIndex((b) => n < b);
  return i < 0 ? SIZE_BUCKETS.length : i;
}

forEachPython(test, (py) => {
  test(`${py.label}: alternating busy sites keep exact counts; sizes land in their buckets`, async () => {
    const dir = workspace({ "acc.py": SCRIPT });
    const r = await runHarness(py, ["acc.py"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const truth = JSON.parse(r.stdout.toString()) as { echo: number; forked: number };
    const log = r.log;
    const main = log.main().pid;
    const at = (pid: number, dir: "send" | "recv", marker: string) => {
      const rows = log.copies({ pid, ch: "pipe", dir, line: lineOf(SCRIPT, marker) });
      assert.equal(rows.length, 1, `${marker}: ${log.dump()}`);
      return rows[0]!;
    };
    const a = at(main, "send", "# SITE-A");
    const b = at(main, "send", "# SITE-B");
    assert.equal(a.count, M);
    assert.equal(b.count, M);
    assert.equal(b.bytes - a.bytes, M, "one byte more per message at B");
    assert.ok(a.ns > 0 && b.ns > 0);
    assert.equal(a.hist[0], M);
    // the echo child's single recv line saw everything, the two reply sites are told apart
    const recv = at(truth.echo, "recv", "# ECHO-RECV");
    assert.equal(recv.count, 2 * M + SIZES.length + 1);
    assert.equal(at(truth.echo, "send", "# ECHO-SEND").count, 2 * M + SIZES.length);

    // Queue puts are pickled by the feeder thread, each with the site of its own put()
    const queue = (dir: "send" | "recv", marker: string) =>
      log.copies({ pid: main, ch: "queue", dir, line: lineOf(SCRIPT, marker) }).map((c) => [c.count, c.bytes]);
    const qa = queue("send", "# QUEUE-A");
    const qb = queue("send", "# QUEUE-B");
    assert.equal(qa[0]?.[0], M, log.dump());
    assert.equal(qb[0]?.[0], M);
    assert.equal(qb[0]![1]! - qa[0]![1]!, M);
    assert.deepEqual(queue("recv", "# QUEUE-GET"), [[2 * M, qa[0]![1]! + qb[0]![1]!]]);

    const sizes = at(main, "send", "# SIZES");
    assert.equal(sizes.count, SIZES.length);
    const want = new Array<number>(SIZE_BUCKETS.length + 1).fill(0);
    for (const n of SIZES) want[bucketOf(n + 20)]! += 1; // + pickle framing, well inside a bucket
    assert.deepEqual(sizes.hist, want);
    assert.ok(sizes.bytes >= SIZES.reduce((x, y) => x + y, 0));
    const bigs = log.of("big", main).filter((e) => e.dir === "send");
    assert.equal(bigs.length, 2, "70 KB and 300 KB");
    assert.ok(bigs.every((e) => e.ch === "pipe" && log.site(main, e.site)?.line === lineOf(SCRIPT, "# SIZES") && e.ns > 0));
    assert.equal(log.of("big", truth.echo).filter((e) => e.dir === "recv").length, 2);

    // a fork child starts from zero: only its own put, none of the parent's traffic
    const forked = log.copies({ pid: truth.forked });
    assert.deepEqual(forked.map((c) => [c.ch, c.dir, c.count, c.site?.line]), [["queue", "send", 1, lineOf(SCRIPT, "# FORKED-PUT")]]);
    assert.equal(log.of("site", truth.forked).length, 1, "site ids are per pid: only the ones it uses");

    // heap and memory samples: every process that said bye sampled its heap and read its own
    // smaps_rollup at exit, just before
    for (const pid of log.pids()) {
      const evs = log.events.filter((e) => e.pid === pid);
      if (evs.at(-1)?.e !== "bye") continue;
      const mem = evs.at(-2);
      assert.equal(mem?.e, "mem", `${pid}: ${JSON.stringify(evs.slice(-3))}`);
      if (mem?.e === "mem") assert.ok(mem.rss > 0 && mem.uss > 0 && mem.pss > 0 && mem.privateDirty > 0);
      const heap = evs.at(-3);
      assert.equal(heap?.e, "heap", `${pid}: ${JSON.stringify(evs.slice(-3))}`);
      if (heap?.e === "heap") {
        assert.ok(heap.blocks! > 0 && heap.gcCount!.length === 3 && heap.collections!.length === 3);
        assert.equal(heap.traced, undefined);
      }
    }
  });

  test(`${py.label}: WMPROF_TRACEMALLOC=1 traces every process and reports [current, peak]`, async () => {
    const dir = workspace({ "t.py": TRACE_SCRIPT });
    const r = await runHarness(py, ["t.py"], { cwd: dir, env: { WMPROF_TRACEMALLOC: "1" } });
    assert.equal(r.code, 0, r.stderr);
    const child = Number(r.stdout.toString().trim());
    const log = r.log;
    for (const pid of [log.main().pid, child]) {
      assert.equal(log.hello(pid)?.tracemalloc, true);
      const traced = log.of("heap", pid).map((h) => h.traced).filter((t): t is [number, number] => Array.isArray(t));
      assert.ok(traced.length > 0, log.dump());
      const [cur, peak] = traced.at(-1)!;
      assert.ok(cur > 0 && peak >= cur, `${pid}: ${cur} ${peak}`);
    }
    const [, childPeak] = log.of("heap", child).at(-1)!.traced!;
    assert.ok(childPeak >= 2_000_000, `the child's 2 MB bytearray shows in its peak: ${childPeak}`);
    const [mainCur] = log.of("heap", log.main().pid).at(-1)!.traced!;
    assert.ok(mainCur >= 1_000_000, `main holds ~1 MB of bytes objects: ${mainCur}`);
  });
});
