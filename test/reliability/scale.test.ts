/**
 * Scale, in versions small enough for CI: 256 processes in one run, every one of them accounted
 * for; one message of 4 GiB + 1 byte (~20 s, ~8 GiB of RAM for the two processes), counted to the
 * byte. (10 million messages through the host model is a unit test: test/unit/core-model.test.ts.)
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

test("a 4 GiB + 1 byte message through a Pipe (send_bytes / recv_bytes): counted exactly, sizes 64-bit all the way", { timeout: 600_000 }, async () => {
  const N = 4 * 2 ** 30 + 1; // one byte over 2**32
  const script = `
import mmap, multiprocessing as mp
N = 4 * 1024 ** 3 + 1  # one byte over 2**32: every size field on the way must be 64-bit
def receive(conn):
    data = conn.recv_bytes()  # RECV
    conn.send((len(data), data[0], data[-1]))
if __name__ == "__main__":
    a, b = mp.Pipe()
    p = mp.get_context("fork").Process(target=receive, args=(b,)); p.start()
    src = mmap.mmap(-1, N); src[0], src[N - 1] = 0x41, 0x5A
    a.send_bytes(src)  # SEND
    print(a.recv()); p.join()
`;
  const lineOf = (marker: string) => script.split("\n").findIndex((l) => l.includes(marker)) + 1;
  const dir = workspace({ "big.py": script });
  const r = await runCli(["run", "--quiet", "big.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `(${N}, 65, 90)`);
  const p = r.profile!;
  const main = p.processes.find((x) => x.role === "main")!;
  const worker = p.processes.find((x) => x.role === "worker")!;
  assert.ok(main && worker, JSON.stringify(p.processes.map((x) => x.role)));
  const one = (pid: number, direction: "send" | "recv", line: number) => {
    const rows = p.copies.filter((c) => c.channel === "pipe" && c.pid === pid && c.direction === direction && c.site?.line === line);
    assert.equal(rows.length, 1, JSON.stringify(p.copies));
    const c = rows[0]!;
    assert.equal(c.count, 1);
    assert.equal(c.bytes, N);
    assert.equal(c.pickleNs, 0);
    assert.equal(c.hist[c.hist.length - 1], 1, `the open-ended size bucket: ${c.hist}`);
    assert.equal(sum(c.hist, (x) => x), 1);
    return c;
  };
  assert.equal(one(main.pid, "send", lineOf("# SEND")).site!.function, "<module>");
  assert.equal(one(worker.pid, "recv", lineOf("# RECV")).site!.function, "receive");
  assert.ok((worker.peak.rss ?? 0) >= 4 * 2 ** 30, `receiver's peak RSS ${worker.peak.rss}`);
});
