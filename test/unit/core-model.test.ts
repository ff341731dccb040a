import { test } from "node:test";
import assert from "node:assert/strict";
import { ProfileModel } from "../../src/core/model";
import type { HarnessEvent } from "../../src/protocol/events";
import { platform } from "node:os";

const META = {
  runtime: "python" as const, command: ["q.py"], cwd: "/w", python: null, exitCode: 0, wallMs: 500, complete: true, warnings: [],
  capabilities: { platform: platform(), pss: true, uss: true, heap: false, tracemalloc: false }, toolVersion: "test",
};
const hist = () => new Array(12).fill(0);
const hello = (pid: number, ppid: number, t: number, role = "worker", startMethod: string | null = "fork"): HarnessEvent =>
  ({ e: "hello", v: 1, pid, ppid, t, role, startMethod, name: null, runtime: "python", version: "3.11.7", executable: "py" }) as HarnessEvent;

test("cumulative agg rows: the last one wins and deltas feed totals and the timeline", () => {
  const m = new ProfileModel({ startedAtMs: 1000 });
  m.ingest(hello(10, 1, 1000, "main", null));
  m.ingest({ e: "site", pid: 10, id: 3, file: "/w/q.py", line: 12, function: "main" });
  m.ingest({ e: "agg", pid: 10, t: 1100, rows: [[3, "queue", "send", 2, 2000, 50, hist()]] });
  m.ingest({ e: "agg", pid: 10, t: 1400, rows: [[3, "queue", "send", 5, 5000, 90, hist()]] });
  // A duplicated (re-read) line changes nothing.
  m.ingest({ e: "agg", pid: 10, t: 1400, rows: [[3, "queue", "send", 5, 5000, 90, hist()]] });
  const p = m.toProfile(META);
  assert.equal(p.schema, "wmprof/1");
  assert.equal(p.copies.length, 1);
  assert.deepEqual({ ...p.copies[0], hist: undefined }, {
    channel: "queue", direction: "send", pid: 10, bytes: 5000, count: 5, pickleNs: 90,
    site: { file: "/w/q.py", line: 12, function: "main" }, hist: undefined,
  });
  assert.equal(p.totals.bytesSent, 5000);
  assert.equal(p.totals.messagesSent, 5);
  const tl = p.timeline.bytes.queue!;
  assert.equal(tl.reduce((a, b) => a + b, 0), 5000);
  assert.equal(tl[1], 2000);
  assert.equal(tl[4], 3000);
});

test("site ids are scoped per pid", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(10, 1, 0, "main", null));
  m.ingest(hello(11, 10, 5));
  m.ingest({ e: "site", pid: 10, id: 0, file: "/a.py", line: 1, function: "f" });
  m.ingest({ e: "site", pid: 11, id: 0, file: "/b.py", line: 2, function: "g" });
  m.ingest({ e: "agg", pid: 10, t: 10, rows: [[0, "pipe", "send", 1, 100, 1, hist()]] });
  m.ingest({ e: "agg", pid: 11, t: 10, rows: [[0, "pipe", "recv", 1, 100, 1, hist()]] });
  const p = m.toProfile(META);
  assert.equal(p.copies.find((c) => c.pid === 10)!.site!.file, "/a.py");
  assert.equal(p.copies.find((c) => c.pid === 11)!.site!.file, "/b.py");
  assert.equal(p.totals.bytesReceived, 100);
});

test("child, reap and bye give lifecycle, start method and signal exit codes", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(10, 1, 0, "main", null));
  m.ingest({ e: "child", pid: 10, t: 5, child: 11, startMethod: "spawn", role: "worker", name: "Process-1" });
  m.ingest({ ...(hello(11, 10, 20) as object), startMethod: null } as HarnessEvent);
  m.ingest({ e: "reap", pid: 10, t: 90, child: 11, exitCode: -9 });
  m.ingest({ e: "bye", pid: 10, t: 100, exitCode: 0 });
  const p = m.toProfile(META);
  const w = p.processes.find((x) => x.pid === 11)!;
  assert.equal(w.startMethod, "spawn");
  assert.equal(w.name, "Process-1");
  assert.equal(w.exitCode, -9);
  assert.equal(w.endedAt, 90);
  assert.equal(p.processes.find((x) => x.pid === 10)!.endedAt, 100);
});

test("a second hello from the same pid is a new process (pid reuse)", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(20, 1, 0));
  m.ingest({ e: "bye", pid: 20, t: 10, exitCode: 0 });
  m.ingest(hello(20, 1, 50));
  const p = m.toProfile(META);
  assert.equal(p.processes.length, 2);
  assert.equal(p.totals.processes, 2);
});

test("memory ticks: Σ PSS and Σ RSS peaks are taken per tick; unknown pids join as uninstrumented", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(10, 1, 0, "main", null));
  const s = (t: number, rss: number, pss: number | null) => ({
    t, rss, pss, uss: pss, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0, swap: 0, minflt: 0, majflt: 0,
  });
  m.addMemoryTick(10, [{ pid: 10, ppid: 1, sample: s(10, 100, 60) }, { pid: 11, ppid: 10, sample: s(10, 100, 40) }]);
  m.addMemoryTick(20, [{ pid: 10, ppid: 1, sample: s(20, 150, 70) }]);
  const p = m.toProfile(META);
  assert.equal(p.totals.peakRssSum, 200);
  assert.equal(p.totals.peakPssSum, 100);
  const child = p.processes.find((x) => x.pid === 11)!;
  assert.equal(child.instrumented, false);
  assert.equal(p.processes.find((x) => x.pid === 10)!.peak.rss, 150);
});

test("memory series stay bounded however long the run", () => {
  const m = new ProfileModel({ startedAtMs: 0, maxSamplesPerProcess: 100 });
  for (let i = 0; i < 10_000; i++) {
    m.addMemoryTick(i, [{ pid: 1, ppid: 0, sample: { t: i, rss: i, pss: i, uss: i, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0, swap: 0, minflt: 0, majflt: 0 } }]);
  }
  const p = m.toProfile(META).processes[0]!;
  assert.ok(p.samples.length <= 100);
  assert.equal(p.peak.rss, 9999, "the peak survives downsampling");
});

test("shared memory: created once, attaches counted, unlink tracked", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(10, 1, 0, "main", null));
  m.ingest({ e: "site", pid: 10, id: 1, file: "/s.py", line: 9, function: "main" });
  m.ingest({ e: "shm", pid: 10, t: 1, op: "create", kind: "shared_memory", name: "psm_x", bytes: 1 << 26, site: 1 });
  m.ingest({ e: "shm", pid: 11, t: 2, op: "attach", kind: "shared_memory", name: "psm_x", bytes: 1 << 26, site: -1 });
  m.ingest({ e: "shm", pid: 12, t: 2, op: "attach", kind: "shared_memory", name: "psm_x", bytes: 1 << 26, site: -1 });
  m.ingest({ e: "shm", pid: 10, t: 3, op: "unlink", kind: "shared_memory", name: "psm_x", bytes: 1 << 26, site: 1 });
  const p = m.toProfile(META);
  assert.equal(p.sharedMemory.length, 1);
  assert.deepEqual(p.sharedMemory[0]!.attachedPids, [11, 12]);
  assert.equal(p.sharedMemory[0]!.site!.line, 9);
  assert.equal(p.sharedMemory[0]!.unlinked, true);
  assert.equal(p.totals.sharedMemoryBytes, 1 << 26);
});

test("10 million messages through 5 sites keep the model small", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(1, 0, 0, "main", null));
  for (let i = 0; i < 5; i++) m.ingest({ e: "site", pid: 1, id: i, file: "/x.py", line: i, function: "f" });
  // 40,000 flushes of cumulative counters cover 10M messages; the model holds 5 rows.
  for (let f = 1; f <= 40_000; f++) {
    m.ingest({ e: "agg", pid: 1, t: f * 250, rows: [0, 1, 2, 3, 4].map((s) => [s, "queue", "send", f * 50, f * 50 * 100, f, hist()]) as never });
  }
  const p = m.toProfile(META);
  assert.equal(p.totals.messagesSent, 10_000_000);
  assert.equal(p.copies.length, 5);
  assert.ok(p.timeline.t.length <= 2000);
});

test("Node transfers are moves: counted as transferred, never as copied bytes", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(1, 0, 0, "main", null));
  m.ingest({ e: "agg", pid: 1, t: 10, rows: [
    [0, "message-port", "send", 100, 2000, 1, hist(), 1],
    [0, "transfer", "send", 100, 100 << 20, 0, hist(), 1],
  ] });
  const p = m.toProfile(META);
  assert.equal(p.totals.bytesSent, 2000);
  assert.equal(p.totals.bytesTransferred, 100 << 20);
  assert.equal(p.timeline.bytes.transfer, undefined);
  assert.equal(p.copies.find((c) => c.channel === "message-port")!.kinds, 1);
});

test("a process's own exit sample joins its series in time order and raises its peak", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(5, 1, 0));
  const s = (t: number, pd: number) => ({ t, rss: pd, pss: pd, uss: pd, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: pd, swap: 0, minflt: 0, majflt: 0 });
  m.addMemoryTick(10, [{ pid: 5, ppid: 1, sample: s(10, 100) }]);
  m.addMemoryTick(30, [{ pid: 5, ppid: 1, sample: s(30, 120) }]);
  m.ingestLine(JSON.stringify({ e: "mem", pid: 5, t: 20, rss: 900, pss: 500, uss: 400, sharedClean: 1, sharedDirty: 0, privateClean: 0, privateDirty: 400, swap: 0 }));
  const p = m.toProfile(META).processes[0]!;
  assert.deepEqual(p.samples.map((x) => x.t), [10, 20, 30]);
  assert.equal(p.peak.privateDirty, 400);
});

test("a process's exit sample with its high-water mark (hwm) raises its peak RSS above every sample", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(5, 1, 0));
  const s = (t: number, rss: number) => ({ t, rss, pss: rss, uss: rss, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: rss, swap: 0, minflt: 0, majflt: 0 });
  m.addMemoryTick(10, [{ pid: 5, ppid: 1, sample: s(10, 3000) }]);
  m.ingestLine(JSON.stringify({ e: "mem", pid: 5, t: 20, rss: 100, pss: 100, uss: 100, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 100, swap: 0, hwm: 5000 }));
  const p = m.toProfile(META).processes[0]!;
  assert.equal(p.peak.rss, 5000);
  assert.equal(p.samples.at(-1)!.rss, 100, "the sample itself is the exit figure, not the mark");
  // a mark below the sampled peak changes nothing
  const m2 = new ProfileModel({ startedAtMs: 0 });
  m2.ingest(hello(5, 1, 0));
  m2.addMemoryTick(10, [{ pid: 5, ppid: 1, sample: s(10, 3000) }]);
  m2.ingestLine(JSON.stringify({ e: "mem", pid: 5, t: 20, rss: 100, pss: 100, uss: 100, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 100, swap: 0, hwm: 2000 }));
  assert.equal(m2.toProfile(META).processes[0]!.peak.rss, 3000);
});

test("child and reap read before the child's own hello, with a sampler tick between: still one process", () => {
  const m = new ProfileModel({ startedAtMs: 0 });
  m.ingest(hello(10, 1, 0, "main", null));
  m.ingest({ e: "child", pid: 10, t: 5, child: 11, startMethod: "spawn", role: "worker", name: "SpawnProcess-1" });
  const s = { t: 8, rss: 1, pss: 1, uss: 1, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0, swap: 0, minflt: 0, majflt: 0 };
  m.addMemoryTick(8, [{ pid: 11, ppid: 10, sample: s }]);
  m.ingest({ e: "reap", pid: 10, t: 50, child: 11, exitCode: 0 });
  m.ingest(hello(11, 10, 6, "worker", "spawn"));
  const procs = m.toProfile(META).processes.filter((p) => p.pid === 11);
  assert.equal(procs.length, 1);
  assert.deepEqual([procs[0]!.startMethod, procs[0]!.role, procs[0]!.instrumented, procs[0]!.exitCode, procs[0]!.samples.length], ["spawn", "worker", true, 0, 1]);
});
