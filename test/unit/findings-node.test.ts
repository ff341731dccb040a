/**
 * The Node rules (large-clone, clone-of-objects, worker-heap-growth) fire on synthetic profiles of
 * the problem and stay quiet on the fixed version (transfer list, SharedArrayBuffer, small
 * messages, flat heap). The Python rules stay quiet on Node profiles and the Node rules on Python
 * profiles. Numbers mirror examples/node/0*.mjs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MESSAGE_KINDS } from "../../src/protocol/events";
import type { Finding, HeapSample } from "../../src/protocol/profile";
import {
  cloneOfObjects, cowRefcountBreakage, heapGrowth, largeClone, largeQueuePayloads, managerChatty, pickledProcessArgs, RULES,
  runFindings, sharedMemoryLeak, smallChunksize, workerHeapGrowth,
} from "../../src/core/findings";
import { GB, KB, MB, ProfileBuilder, site } from "./support/profileBuilder";

const { binary: BIN, primitive: PRIM, objects: OBJ, sharedArrayBuffer: SAB, estimated: EST } = MESSAGE_KINDS;
const PYTHON_RULES = [pickledProcessArgs, largeQueuePayloads, cowRefcountBreakage, smallChunksize, managerChatty, sharedMemoryLeak];
const NODE_RULES = [largeClone, cloneOfObjects, workerHeapGrowth];

function one(findings: Finding[]): Finding {
  assert.equal(findings.length, 1, JSON.stringify(findings, null, 1));
  return findings[0] as Finding;
}

/** A Node main process (pid 100) with `n` worker threads, tids 1…n. */
function threads(n: number): ProfileBuilder {
  const b = new ProfileBuilder().node().process({ pid: 100, role: "main" });
  for (let tid = 1; tid <= n; tid++) b.thread({ pid: 100, tid, name: "worker.mjs" });
  return b;
}

const POST = site("/work/proj/copy.mjs", 37, "<module>");

// ---- large-clone -------------------------------------------------------------------------------

test("large-clone fires: an 8 MiB Float64Array posted (copied) 8 times, as in examples/node/01", () => {
  const p = threads(2)
    .copy({ pid: 100, channel: "message-port", count: 8, eachBytes: 8 * MB, kinds: BIN, site: POST })
    .copy({ pid: 100, tid: 1, channel: "message-port", direction: "recv", count: 4, eachBytes: 8 * MB, kinds: BIN })
    .copy({ pid: 100, tid: 2, channel: "message-port", direction: "recv", count: 4, eachBytes: 8 * MB, kinds: BIN })
    .build();
  const f = one(largeClone.check(p));
  assert.equal(f.rule, "large-clone");
  assert.equal(f.severity, "warning");
  assert.match(f.message, /^8 messages of 8\.0 MiB on average structured-cloned \(postMessage or workerData\) at copy\.mjs:37: /);
  assert.match(f.message, /64\.0 MiB of ArrayBuffer or typed-array data copied, and every receiver gets its own copy\.$/);
  assert.deepEqual(f.site, POST);
  assert.match(f.fix ?? "", /transfer list \(`postMessage\(buf, \[buf\.buffer\]\)`/);
  assert.match(f.fix ?? "", /SharedArrayBuffer/);
  assert.doesNotMatch(f.fix ?? "", /multiprocessing|shared_memory|Pool/);
  assert.deepEqual(f.data, { bytes: 64 * MB, count: 8, meanBytes: 8 * MB, channel: "message-port", kinds: BIN, senders: 1, movedBytes: 0 });
  assert.deepEqual(cloneOfObjects.check(p), [], "binary messages are not clone-of-objects'");
});

test("large-clone: quiet when the buffer is transferred instead (examples/node/02)", () => {
  // A transfer-list post: a few bytes of envelope copied, the buffer moved (channel transfer).
  const p = threads(2)
    .copy({ pid: 100, channel: "message-port", count: 8, eachBytes: 29, kinds: BIN, site: POST })
    .copy({ pid: 100, channel: "transfer", count: 8, eachBytes: 8 * MB, kinds: BIN, site: POST })
    .copy({ pid: 100, tid: 1, channel: "transfer", direction: "recv", count: 4, eachBytes: 8 * MB, kinds: BIN })
    .build();
  assert.equal(p.totals.bytesTransferred, 64 * MB);
  assert.equal(p.totals.bytesSent, 8 * 29);
  assert.deepEqual(largeClone.check(p), []);
  assert.deepEqual(runFindings(p), []);
});

test("large-clone: quiet when the data is shared through a SharedArrayBuffer (examples/node/03)", () => {
  const p = threads(4)
    .copy({ pid: 100, channel: "message-port", count: 8, eachBytes: 21, kinds: OBJ | SAB, site: POST })
    .sharedMemory({ kind: "SharedArrayBuffer", name: "sab-100-0-1", bytes: 8 * MB, pid: 100, site: POST, unlinked: false })
    .build();
  assert.deepEqual(largeClone.check(p), []);
  assert.deepEqual(runFindings(p), [], "a SharedArrayBuffer is never unlinked, and that is no leak");
});

test("large-clone: quiet for small messages, and for a big buffer posted only twice", () => {
  const small = threads(2).copy({ pid: 100, channel: "message-port", count: 5000, eachBytes: 64 * KB, kinds: BIN, site: POST }).build();
  assert.deepEqual(largeClone.check(small), []);
  const twice = threads(2).copy({ pid: 100, channel: "message-port", count: 2, eachBytes: 50 * MB, kinds: BIN, site: POST }).build();
  assert.deepEqual(largeClone.check(twice), []);
});

test("large-clone: part of a line's data moved, part still copied, says both", () => {
  const p = threads(1)
    .copy({ pid: 100, channel: "message-port", count: 4, eachBytes: 4 * MB, kinds: BIN | OBJ, site: POST })
    .copy({ pid: 100, channel: "transfer", count: 4, eachBytes: 8 * MB, kinds: BIN, site: POST })
    .build();
  const f = one(largeClone.check(p));
  assert.match(f.message, /16\.0 MiB of ArrayBuffer or typed-array data copied/);
  assert.match(f.message, /The same line moves 32\.0 MiB with a transfer list; the rest is still copied\./);
  assert.equal(f.data?.movedBytes, 32 * MB);
  assert.deepEqual(cloneOfObjects.check(p), [], "a line that posts buffers is large-clone's");
});

test("large-clone: the same line in several worker threads is one finding; ≥ 1 GiB is an error", () => {
  const b = threads(3);
  for (const tid of [1, 2, 3]) {
    b.copy({ pid: 100, tid, channel: "message-port", count: 10, eachBytes: 40 * MB, kinds: BIN, site: site("/work/proj/w.mjs", 5, "work") });
  }
  const f = one(largeClone.check(b.build()));
  assert.equal(f.severity, "error");
  assert.equal(f.data?.count, 30);
  assert.equal(f.data?.senders, 3);
  assert.match(f.message, /at w\.mjs:5 from 3 threads: 1\.2 GiB of ArrayBuffer/);
});

test("large-clone: rows without a user frame in different threads are not merged", () => {
  const b = threads(2);
  for (const tid of [1, 2]) b.copy({ pid: 100, tid, channel: "message-port", count: 2, eachBytes: 2 * MB, kinds: BIN, site: null });
  assert.deepEqual(largeClone.check(b.build()), [], "2 + 2 messages from two threads, not 4 from one place");
});

test("large-clone: a big string posted again and again gets the string advice", () => {
  const p = threads(1).copy({ pid: 100, channel: "message-port", count: 6, eachBytes: 3 * MB, kinds: PRIM, site: POST }).build();
  const f = one(largeClone.check(p));
  assert.match(f.message, /18\.0 MiB of strings copied/);
  assert.match(f.fix ?? "", /TextEncoder/);
});

test("large-clone covers IPC: repeated large child_process messages, whatever their kind, with IPC advice", () => {
  const p = new ProfileBuilder()
    .node()
    .process({ pid: 100, role: "main" })
    .process({ pid: 101, ppid: 100, role: "worker", startMethod: "exec", name: "child.mjs" })
    .process({ pid: 102, ppid: 100, role: "worker", startMethod: "exec", name: "child.mjs" })
    .copy({ pid: 100, channel: "ipc", count: 6, eachBytes: 4 * MB, kinds: OBJ, site: site("/work/proj/ipc.mjs", 30) })
    .copy({ pid: 101, channel: "ipc", direction: "recv", count: 3, eachBytes: 4 * MB, kinds: OBJ })
    .build();
  const f = one(largeClone.check(p));
  assert.match(f.message, /^6 IPC messages of 4\.0 MiB on average sent at ipc\.mjs:30: 24\.0 MiB serialized, and parsed again/);
  assert.match(f.fix ?? "", /IPC has no transfer list and no shared memory/);
  assert.doesNotMatch(f.fix ?? "", /postMessage\(buf/);
  assert.equal(f.data?.channel, "ipc");
  assert.deepEqual(cloneOfObjects.check(p), [], "IPC is large-clone's, not clone-of-objects'");
  // one 4 MiB message per child (examples/node/05 with 2 children) is a start-up cost, not the pattern
  const once = new ProfileBuilder().node().process({ pid: 100 })
    .copy({ pid: 100, channel: "ipc", count: 2, eachBytes: 4 * MB, kinds: OBJ, site: site("/work/proj/ipc.mjs", 30) })
    .build();
  assert.deepEqual(largeClone.check(once), []);
});

// ---- clone-of-objects --------------------------------------------------------------------------

const NEW_WORKER = site("/work/proj/objects.mjs", 29, "<module>");

test("clone-of-objects fires: an array of objects cloned into each of 4 workers via workerData (examples/node/04)", () => {
  const p = threads(4)
    .copy({ pid: 100, channel: "message-port", count: 4, eachBytes: 7.7 * MB, kinds: OBJ, site: NEW_WORKER })
    .copy({ pid: 100, tid: 1, channel: "message-port", direction: "recv", count: 1, eachBytes: 7.7 * MB, kinds: OBJ })
    .build();
  const f = one(cloneOfObjects.check(p));
  assert.equal(f.rule, "clone-of-objects");
  assert.equal(f.severity, "warning");
  assert.match(f.message, /^4 messages of 7\.7 MiB on average, each an object or array, structured-cloned \(postMessage or workerData\) at objects\.mjs:29: 30\.8 MiB serialized, and deserialized again into a private copy by every receiver\.$/);
  assert.match(f.fix ?? "", /typed arrays/);
  assert.match(f.fix ?? "", /indices/);
  assert.match(f.fix ?? "", /CPU on both sides/);
  assert.equal(f.data?.estimated, 0);
  assert.deepEqual(largeClone.check(p), [], "object graphs are not large-clone's");
});

test("clone-of-objects fires on many mid-sized object messages adding up, and says when sizes are estimates", () => {
  const p = threads(2).copy({ pid: 100, channel: "message-port", count: 400, eachBytes: 64 * KB, kinds: OBJ | PRIM | EST, site: POST }).build();
  const f = one(cloneOfObjects.check(p));
  assert.equal(f.data?.bytes, 25 * MB);
  assert.match(f.message, /25\.0 MiB serialized \(sizes partly estimated from sampled messages\)/);
  assert.equal(f.data?.estimated, 1);
});

test("clone-of-objects: quiet for small object messages, one modest clone, flat binary, and indices into shared data", () => {
  const chatty = threads(2).copy({ pid: 100, channel: "message-port", count: 200_000, eachBytes: 200, kinds: OBJ, site: POST }).build();
  assert.deepEqual(cloneOfObjects.check(chatty), [], "40 MB of 200 B messages: per-message overhead, not clone cost");
  const once = threads(1).copy({ pid: 100, channel: "message-port", count: 1, eachBytes: 2 * MB, kinds: OBJ, site: NEW_WORKER }).build();
  assert.deepEqual(cloneOfObjects.check(once), []);
  const some = threads(2).copy({ pid: 100, channel: "message-port", count: 10, eachBytes: 100 * KB, kinds: OBJ, site: POST }).build();
  assert.deepEqual(cloneOfObjects.check(some), []);
  const flat = threads(4)
    .copy({ pid: 100, channel: "message-port", count: 4, eachBytes: 40, kinds: OBJ | SAB, site: NEW_WORKER })
    .sharedMemory({ kind: "SharedArrayBuffer", name: "sab-100-0-1", bytes: 8 * MB, pid: 100, unlinked: false })
    .build();
  assert.deepEqual(cloneOfObjects.check(flat), []);
});

// ---- worker-heap-growth ------------------------------------------------------------------------

/** Heap samples every `step` ms from t0 to t1 (inclusive) with heapUsed = f(t). */
function series(t0: number, t1: number, step: number, f: (t: number) => number, ext?: (t: number) => number): HeapSample[] {
  const out: HeapSample[] = [];
  for (let t = t0; t <= t1; t += step) out.push({ t, heapUsed: Math.round(f(t)), heapTotal: Math.round(f(t) * 1.2), ...(ext ? { external: Math.round(ext(t)) } : {}) });
  return out;
}

/** GC sawtooth: garbage piles up to `amp` above the live heap, then a collection drops it. */
const saw = (t: number, amp: number, periodMs = 1000) => ((t % periodMs) / periodMs) * amp;

test("worker-heap-growth fires on a thread that keeps 1 MiB per message (floors rise through the run)", () => {
  const p = threads(2)
    .heap(100, series(100, 6100, 250, (t) => 5 * MB + ((t - 100) / 6000) * 300 * MB + saw(t, 20 * MB)), 1)
    .heap(100, series(100, 6100, 250, (t) => 6 * MB + saw(t, 20 * MB)), 2)
    .build();
  const f = one(workerHeapGrowth.check(p));
  assert.equal(f.rule, "worker-heap-growth");
  assert.equal(f.severity, "warning");
  assert.match(f.message, /^Worker thread "worker\.mjs" \(thread 1 of pid 100\) kept growing its V8 heap: heapUsed rose from [\d.]+ MiB to [\d.]+ MiB/);
  assert.match(f.message, /lowest values in the first and last third of 5\.75 s/);
  assert.equal(f.site, null);
  assert.match(f.fix ?? "", /--heapsnapshot-near-heap-limit/);
  assert.match(f.fix ?? "", /per message/);
  assert.equal(f.data?.tid, 1);
  assert.equal(f.data?.pid, 100);
  const growth = f.data?.bytes as number;
  assert.ok(growth > 150 * MB && growth < 260 * MB, `growth ${growth}`);
});

test("worker-heap-growth: quiet on a flat heap with a large GC sawtooth", () => {
  const p = threads(1).heap(100, series(100, 10_100, 100, (t) => 30 * MB + saw(t, 120 * MB, 1700)), 1).build();
  assert.deepEqual(workerHeapGrowth.check(p), []);
});

test("worker-heap-growth: workerData already in the first sample is a high start, not growth", () => {
  // Node deserializes workerData before the harness's first sample: 200 MiB at once, then flat.
  const p = threads(1).heap(100, [{ t: 120, heapUsed: 204 * MB }, ...series(400, 6400, 250, (t) => 200 * MB + saw(t, 10 * MB))], 1).build();
  assert.deepEqual(workerHeapGrowth.check(p), []);
});

test("worker-heap-growth: the bare-runtime first sample is discounted (a worker that loads its data first)", () => {
  // 4 MiB before the script ran, 80 MiB once its module built a table, then flat.
  const p = threads(1).heap(100, [{ t: 120, heapUsed: 4 * MB }, ...series(400, 6400, 250, () => 80 * MB)], 1).build();
  assert.deepEqual(workerHeapGrowth.check(p), []);
});

test("worker-heap-growth: a start-up ramp that levels off is not 'keeps growing'", () => {
  const ramp = (t: number) => 5 * MB + Math.min(1, (t - 100) / 1500) * 100 * MB;
  const p = threads(1).heap(100, series(100, 9100, 250, ramp), 1).build();
  const g = heapGrowth(p.processes[1]?.heap ?? []);
  assert.ok(g && g.growth >= 32 * MB, "floor to floor, it did grow");
  assert.deepEqual(workerHeapGrowth.check(p), []);
});

test("worker-heap-growth: quiet for the main thread, for too few samples, and for small or proportionally small growth", () => {
  const main = new ProfileBuilder().node().process({ pid: 100, role: "main" })
    .heap(100, series(100, 6100, 250, (t) => 5 * MB + (t / 6000) * 300 * MB))
    .build();
  assert.deepEqual(workerHeapGrowth.check(main), [], "results collected by the main thread");
  const few = threads(1).heap(100, series(100, 850, 250, (t) => 5 * MB + t * 100 * KB), 1).build();
  assert.equal(few.processes[1]?.heap.length, 4);
  assert.deepEqual(workerHeapGrowth.check(few), [], "3 samples after the first");
  const small = threads(1).heap(100, series(100, 6100, 250, (t) => 5 * MB + (t / 6000) * 20 * MB), 1).build();
  assert.deepEqual(workerHeapGrowth.check(small), [], "+20 MiB");
  const big = threads(1).heap(100, series(100, 6100, 250, (t) => 500 * MB + (t / 6000) * 100 * MB), 1).build();
  assert.deepEqual(workerHeapGrowth.check(big), [], "+100 MiB on 500 MiB: +20 %");
});

test("worker-heap-growth covers Node child processes too, and names their external growth", () => {
  const p = new ProfileBuilder().node().process({ pid: 100, role: "main" })
    .process({ pid: 101, ppid: 100, role: "worker", startMethod: "exec", name: "child.mjs" })
    .heap(101, series(100, 4100, 250, (t) => 10 * MB + (t / 4000) * 2 * GB, (t) => 1 * MB + (t / 4000) * 64 * MB))
    .build();
  const f = one(workerHeapGrowth.check(p));
  assert.equal(f.severity, "error");
  assert.match(f.message, /^Child process "child\.mjs" \(pid 101\)/);
  assert.match(f.message, /Its external \(ArrayBuffer\) memory grew by [\d.]+ MiB too\./);
  assert.equal(f.data?.tid, undefined);
});

// ---- runtimes ----------------------------------------------------------------------------------

/** A Node run with every Node problem at once (and Python-looking numbers on Node channels). */
function nodeMess(): ProfileBuilder {
  return threads(2)
    .copy({ pid: 100, channel: "message-port", count: 8, eachBytes: 50 * MB, kinds: BIN, site: POST })
    .copy({ pid: 100, channel: "message-port", count: 4, eachBytes: 8 * MB, kinds: OBJ, site: NEW_WORKER })
    .copy({ pid: 100, channel: "message-port", count: 20_000, eachBytes: 90, kinds: PRIM, site: site("/work/proj/tiny.mjs", 3) })
    .copy({ pid: 100, channel: "ipc", count: 5, eachBytes: 2 * MB, kinds: OBJ, site: site("/work/proj/ipc.mjs", 9) })
    .sharedMemory({ kind: "SharedArrayBuffer", name: "sab-100-0-1", bytes: 64 * MB, pid: 100, unlinked: false })
    .heap(100, series(100, 6100, 250, (t) => 5 * MB + (t / 6000) * 300 * MB), 1);
}

test("Python rules never fire on Node profiles (large-queue-payloads used to, on message-port)", () => {
  const p = nodeMess().build();
  for (const rule of PYTHON_RULES) assert.deepEqual(rule.check(p), [], rule.id);
  const fs = runFindings(p);
  assert.deepEqual(fs.map((f) => f.rule).sort(), ["clone-of-objects", "large-clone", "large-clone", "worker-heap-growth"]);
  for (const f of fs) assert.doesNotMatch(`${f.message} ${f.fix}`, /pickl|multiprocessing|shared_memory|Pool|fork\b/i, f.rule);
});

test("Node rules never fire on Python profiles, even with the same numbers", () => {
  const p = nodeMess().build();
  p.runtime = "python";
  for (const rule of NODE_RULES) assert.deepEqual(rule.check(p), [], rule.id);
  const py = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "queue", count: 8, eachBytes: 50 * MB, site: site("q.py", 36) })
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 50 * MB, site: site("q.py", 3) })
    .heap(101, series(100, 6100, 250, (t) => 5 * MB + (t / 6000) * 300 * MB))
    .build();
  for (const rule of NODE_RULES) assert.deepEqual(rule.check(py), [], rule.id);
  assert.deepEqual(runFindings(py).map((f) => f.rule).sort(), ["large-queue-payloads", "pickled-process-args"]);
});

test("every rule is in RULES and quiet on an empty Node profile", () => {
  for (const rule of NODE_RULES) assert.ok(RULES.includes(rule), rule.id);
  const empty = new ProfileBuilder().node().process({ pid: 1 }).build();
  assert.deepEqual(runFindings(empty), []);
});
