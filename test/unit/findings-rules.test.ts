/**
 * Each findings rule fires on a synthetic profile of the problem and stays quiet on the fixed
 * version of the same program (the numbers mirror examples/0*.py and examples/cow_list_vs_array.py).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Finding, Profile } from "../../src/protocol/profile";
import {
  cowRefcountBreakage, largeQueuePayloads, managerChatty, pickledProcessArgs, RULES, sharedMemoryLeak, smallChunksize,
} from "../../src/core/findings";
import { KB, MB, ProfileBuilder, site } from "./support/profileBuilder";

function one(findings: Finding[]): Finding {
  assert.equal(findings.length, 1, JSON.stringify(findings, null, 1));
  return findings[0] as Finding;
}

// ---- pickled-process-args ----------------------------------------------------------------------

test("pickled-process-args fires: 4 spawn workers each receive a 50 MiB argument", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 50 * MB, site: site("/work/proj/02_spawn.py", 31) })
    .copy({ pid: 101, channel: "process-args", direction: "recv", count: 1, eachBytes: 50 * MB })
    .build();
  const f = one(pickledProcessArgs.check(p));
  assert.equal(f.rule, "pickled-process-args");
  assert.equal(f.severity, "warning");
  assert.match(f.message, /pickled 4 times at 02_spawn\.py:31 \(spawn\)/);
  assert.match(f.message, /50\.0 MiB per worker, 200 MiB copied/);
  assert.deepEqual(f.site, site("/work/proj/02_spawn.py", 31));
  assert.match(f.fix ?? "", /fork/);
  assert.match(f.fix ?? "", /shared_memory/);
  assert.equal(f.data?.bytes, 200 * MB);
  assert.equal(f.data?.count, 4);
});

test("pickled-process-args: quiet under fork (nothing pickled), with shared_memory names, and for small args", () => {
  const fork = new ProfileBuilder().pool(100, 4, "fork").build();
  assert.deepEqual(pickledProcessArgs.check(fork), []);
  const shm = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 300, site: site("x.py", 3) })
    .sharedMemory({ name: "psm_1", bytes: 50 * MB, pid: 100 })
    .build();
  assert.deepEqual(pickledProcessArgs.check(shm), []);
  const small = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 500 * KB, site: site("x.py", 3) })
    .build();
  assert.deepEqual(pickledProcessArgs.check(small), []);
});

test("pickled-process-args: only the children's unpickling seen still counts; 1 GB is an error", () => {
  const p = new ProfileBuilder()
    .pool(100, 8, "forkserver")
    .copy({ pid: 101, channel: "process-args", direction: "recv", count: 4, eachBytes: 300 * MB, site: site("x.py", 9) })
    .copy({ pid: 102, channel: "process-args", direction: "recv", count: 4, eachBytes: 300 * MB, site: site("x.py", 9) })
    .build();
  const f = one(pickledProcessArgs.check(p));
  assert.equal(f.severity, "error");
  assert.match(f.message, /forkserver/);
  assert.equal(f.data?.bytes, 2400 * MB);
});

// ---- large-queue-payloads ----------------------------------------------------------------------

test("large-queue-payloads fires: the 50 MiB array put on a queue with each of 8 tasks", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "fork")
    .copy({ pid: 100, channel: "queue", count: 8, eachBytes: 50 * MB, site: site("01_queue.py", 36) })
    .copy({ pid: 101, channel: "queue", direction: "recv", count: 2, eachBytes: 50 * MB, site: site("01_queue.py", 20) })
    .copy({ pid: 101, channel: "queue", count: 2, eachBytes: 30, site: site("01_queue.py", 23) })
    .build();
  const f = one(largeQueuePayloads.check(p));
  assert.match(f.message, /^8 messages of 50\.0 MiB on average sent through a queue at 01_queue\.py:36: 400 MiB pickled/);
  assert.equal(f.data?.channel, "queue");
  assert.equal(f.data?.count, 8);
  assert.match(f.fix ?? "", /shared_memory/);
});

test("large-queue-payloads: results from many workers at one site are one finding", () => {
  const p = new ProfileBuilder().pool(100, 3, "fork");
  for (const pid of [101, 102, 103]) p.copy({ pid, channel: "pool", count: 2, eachBytes: 20 * MB, site: site("w.py", 7, "work") });
  const f = one(largeQueuePayloads.check(p.build()));
  assert.equal(f.data?.count, 6);
  assert.equal(f.data?.processes, 3);
  assert.match(f.message, /from 3 processes/);
});

test("large-queue-payloads: quiet when only names/indices travel, or a big object is sent twice", () => {
  const fixed = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "queue", count: 8, eachBytes: 120, site: site("q.py", 36) })
    .build();
  assert.deepEqual(largeQueuePayloads.check(fixed), []);
  const twice = new ProfileBuilder()
    .pool(100, 2, "fork")
    .copy({ pid: 100, channel: "queue", count: 2, eachBytes: 50 * MB, site: site("q.py", 36) })
    .build();
  assert.deepEqual(largeQueuePayloads.check(twice), []);
  const args = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 50 * MB, site: site("q.py", 3) })
    .build();
  assert.deepEqual(largeQueuePayloads.check(args), [], "process-args belong to pickled-process-args");
});

// ---- cow-refcount-breakage ---------------------------------------------------------------------

/** A parent with 250 MiB anonymous memory and two fork children whose Private_Dirty follows `childPd`. */
function forkTree(childPd: (t: number) => number, opts: { childAnon?: (t: number) => number; parentEnd?: number } = {}) {
  const b = new ProfileBuilder().process({ pid: 100, role: "main", endedAt: opts.parentEnd ?? 10_000 });
  const parentTimes = [0, 50, 100, 150, 200, 400, 600, 800, 1000].filter((t) => t <= (opts.parentEnd ?? 10_000));
  b.memory(100, parentTimes.map((t) => [t, { anon: 250 * MB, privateDirty: 250 * MB, rss: 260 * MB }] as const));
  for (const pid of [101, 102]) {
    b.process({ pid, ppid: 100, role: "worker", startMethod: "fork", startedAt: 120 });
    b.memory(pid, [150, 200, 400, 600, 800, 1000].map((t) => [t, { privateDirty: childPd(t), anon: opts.childAnon?.(t) ?? 250 * MB }] as const));
  }
  return b;
}

const listLike = (t: number) => (t < 200 ? 1 * MB : 185 * MB); // iterates a 6M-int list
const arrayLike = (_t: number) => 1.4 * MB; // iterates an array('q')

test("cow-refcount-breakage fires on children copying a list they only read; no GC in the children: refcount advice", () => {
  const p = forkTree(listLike)
    // gc counters: the parent's at fork, the children's unchanged generation-2 count afterwards
    .heap(100, [{ t: 100, collections: [300, 27, 2] }])
    .heap(101, [{ t: 500, collections: [300, 27, 2] }, { t: 1000, collections: [301, 27, 2] }])
    .heap(102, [{ t: 1000, collections: [300, 27, 2] }])
    .build();
  const f = one(cowRefcountBreakage.check(p));
  assert.equal(f.rule, "cow-refcount-breakage");
  assert.match(f.message, /^2 of 2 fork children of pid 100 copied most of the 250 MiB they inherited: up to 185 MiB each, 370 MiB duplicated/);
  assert.match(f.message, /No full garbage collection was seen in these children, so these are refcount writes/);
  assert.match(f.fix ?? "", /array\.array/);
  assert.match(f.fix ?? "", /gc\.freeze\(\) will not help/);
  assert.equal(f.data?.cause, "refcount");
  assert.equal(f.data?.bytes, 370 * MB);
  assert.equal(f.data?.fullCollections, 0);
});

test("cow-refcount-breakage: copying that coincides with full collections in the children gets the gc.freeze() advice", () => {
  // 2M small lists inherited; each child's gc.collect() (generation 2 +1) walks them all
  const p = forkTree(listLike)
    .heap(100, [{ t: 100, collections: [300, 27, 2] }])
    .heap(101, [{ t: 150, collections: [300, 27, 2] }, { t: 250, collections: [300, 27, 3] }, { t: 1000, collections: [300, 27, 3] }])
    .heap(102, [{ t: 150, collections: [300, 27, 2] }, { t: 250, collections: [301, 28, 3] }])
    .build();
  const f = one(cowRefcountBreakage.check(p));
  assert.equal(f.data?.cause, "gc");
  assert.equal(f.data?.fullCollections, 2);
  assert.match(f.message, /coincided with 2 full garbage collections in the children: GC traversal writes/);
  assert.match(f.fix ?? "", /gc\.freeze\(\) in the parent just before starting the workers/);
  assert.match(f.fix ?? "", /does not stop refcount writes/);
});

test("cow-refcount-breakage without heap data names both causes", () => {
  const f = one(cowRefcountBreakage.check(forkTree(listLike).build()));
  assert.equal(f.data?.cause, "unknown");
  assert.match(f.fix ?? "", /refcount writes/);
  assert.match(f.fix ?? "", /gc\.freeze\(\)/);
});

test("cow-refcount-breakage: quiet for the array version, own allocations, spawn children, and after the parent exits", () => {
  assert.deepEqual(cowRefcountBreakage.check(forkTree(arrayLike).build()), [], "array('q')");
  // the children allocate 180 MiB of their own: RssAnon grows with Private_Dirty
  const own = forkTree(listLike, { childAnon: (t) => 250 * MB + listLike(t) }).build();
  assert.deepEqual(cowRefcountBreakage.check(own), [], "own allocations are not copies");
  // spawn children start from a fresh interpreter: nothing inherited
  const spawn = forkTree(listLike).build();
  for (const proc of spawn.processes) if (proc.startMethod) proc.startMethod = "spawn";
  assert.deepEqual(cowRefcountBreakage.check(spawn), []);
  // the parent exits at 150: its pages become private to the children without any copy
  const orphaned = forkTree(listLike, { parentEnd: 150 }).build();
  assert.deepEqual(cowRefcountBreakage.check(orphaned), []);
});

// ---- small-chunksize ---------------------------------------------------------------------------

test("small-chunksize fires on 12,000 one-item Pool tasks and suggests a chunksize", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "fork")
    .copy({ pid: 100, channel: "pool", count: 12_000, eachBytes: 90, pickleNs: 12_000 * 15_000, site: site("imap.py", 14) })
    // the workers' results: also tiny and many, but not the place to fix
    .copy({ pid: 101, channel: "pool", count: 3000, eachBytes: 40 })
    .build();
  const f = one(smallChunksize.check(p));
  assert.match(f.message, /^12,000 Pool tasks sent one message each at imap\.py:14 \(90 B on average, 180 ms pickling alone\)/);
  assert.match(f.fix ?? "", /chunksize=750 for 4 workers/);
  assert.equal(f.data?.suggestedChunksize, 750);
});

test("small-chunksize: quiet with a large chunksize, and for few or large tasks", () => {
  const chunked = new ProfileBuilder()
    .pool(100, 4, "fork")
    .copy({ pid: 100, channel: "pool", count: 16, eachBytes: 750 * 90, site: site("imap.py", 14) })
    .build();
  assert.deepEqual(smallChunksize.check(chunked), []);
  const few = new ProfileBuilder().pool(100, 4, "fork").copy({ pid: 100, channel: "pool", count: 200, eachBytes: 90 }).build();
  assert.deepEqual(smallChunksize.check(few), []);
  const big = new ProfileBuilder().pool(100, 4, "fork").copy({ pid: 100, channel: "pool", count: 5000, eachBytes: 8 * KB }).build();
  assert.deepEqual(smallChunksize.check(big), []);
});

// ---- manager-chatty ----------------------------------------------------------------------------

test("manager-chatty fires on thousands of tiny proxy calls", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "fork")
    .process({ pid: 200, ppid: 100, role: "manager" });
  for (const pid of [101, 102, 103, 104]) {
    p.copy({ pid, channel: "manager", count: 2500, eachBytes: 60, site: site("m.py", 20, "worker") });
    p.copy({ pid, channel: "manager", direction: "recv", count: 2500, eachBytes: 40, site: site("m.py", 20, "worker") });
  }
  const f = one(managerChatty.check(p.build()));
  assert.match(f.message, /^10,000 Manager proxy round trips at m\.py:20 from 4 processes/);
  assert.equal(f.data?.count, 10_000);
  assert.match(f.fix ?? "", /batch/);
});

test("manager-chatty fires on bulk data read through a proxy chunk by chunk (examples/08), once", () => {
  const p = new ProfileBuilder().pool(100, 4, "fork").process({ pid: 200, ppid: 100, role: "manager" });
  for (const pid of [101, 102, 103, 104]) {
    p.copy({ pid, channel: "manager", count: 40, eachBytes: 80, site: site("08.py", 22, "worker") });
    p.copy({ pid, channel: "manager", direction: "recv", count: 40, eachBytes: 330 * KB, site: site("08.py", 22, "worker") });
  }
  // the manager server's mirror image of the same calls (no user frame) is not a second finding
  p.copy({ pid: 200, channel: "manager", count: 160, eachBytes: 330 * KB });
  p.copy({ pid: 200, channel: "manager", direction: "recv", count: 160, eachBytes: 80 });
  const f = one(managerChatty.check(p.build()));
  assert.equal(f.data?.count, 160);
  assert.deepEqual(f.site, site("08.py", 22, "worker"));
});

test("manager-chatty: quiet when each worker reads the data once, or for a handful of calls", () => {
  const p = new ProfileBuilder().pool(100, 4, "fork");
  for (const pid of [101, 102, 103, 104]) {
    p.copy({ pid, channel: "manager", count: 1, eachBytes: 80, site: site("08.py", 22, "worker") });
    p.copy({ pid, channel: "manager", direction: "recv", count: 1, eachBytes: 13 * MB, site: site("08.py", 22, "worker") });
  }
  assert.deepEqual(managerChatty.check(p.build()), []);
  const handful = new ProfileBuilder().pool(100, 1, "fork").copy({ pid: 101, channel: "manager", count: 50, eachBytes: 100 }).build();
  assert.deepEqual(managerChatty.check(handful), []);
});

// ---- shared-memory-leak ------------------------------------------------------------------------

test("shared-memory-leak fires for a block never unlinked, one finding per creation site", () => {
  const p = new ProfileBuilder()
    .pool(100, 2, "spawn")
    .sharedMemory({ name: "psm_a", bytes: 64 * MB, pid: 100, unlinked: false, site: site("s.py", 10), attachedPids: [101, 102] })
    .sharedMemory({ name: "psm_b", bytes: 8 * MB, pid: 100, unlinked: false, site: site("loop.py", 5) })
    .sharedMemory({ name: "psm_c", bytes: 8 * MB, pid: 100, unlinked: false, site: site("loop.py", 5) })
    .build();
  const fs = sharedMemoryLeak.check(p);
  assert.equal(fs.length, 2);
  const a = fs.find((f) => f.data?.name === "psm_a");
  assert.match(a?.message ?? "", /^SharedMemory "psm_a" \(64\.0 MiB\) created by pid 100 at s\.py:10 was never unlinked/);
  assert.match(a?.fix ?? "", /unlink\(\)/);
  const loop = fs.find((f) => f.data?.name === "psm_b");
  assert.equal(loop?.data?.count, 2);
  assert.equal(loop?.data?.bytes, 16 * MB);
});

test("shared-memory-leak: quiet once unlinked, and for sharedctypes (nothing to unlink)", () => {
  const p = new ProfileBuilder()
    .pool(100, 2, "spawn")
    .sharedMemory({ name: "psm_a", bytes: 64 * MB, pid: 100, unlinked: true })
    .sharedMemory({ name: "rawarray-1", bytes: 64 * MB, pid: 100, kind: "sharedctypes", unlinked: false })
    .build();
  assert.deepEqual(sharedMemoryLeak.check(p), []);
});

test("every rule is quiet on an empty profile", () => {
  const empty: Profile = new ProfileBuilder().process({ pid: 1 }).build();
  for (const rule of RULES) assert.deepEqual(rule.check(empty), [], rule.id);
});

test("pickled-process-args names the workers' start method, not the resource tracker's", () => {
  const p = new ProfileBuilder()
    .pool(100, 2, "spawn")
    .process({ pid: 150, ppid: 100, role: "resource_tracker", startMethod: "exec" })
    .copy({ pid: 100, channel: "process-args", count: 2, eachBytes: 50 * MB, site: site("x.py", 3) })
    .build();
  const f = one(pickledProcessArgs.check(p));
  assert.equal(f.data?.startMethod, "spawn");
});

test("cow-refcount-breakage ignores a child copying its small inherited interpreter state", () => {
  const b = new ProfileBuilder().process({ pid: 100, role: "main" }).memory(100, [[0, { anon: 12 * MB }], [500, { anon: 12 * MB }]]);
  b.process({ pid: 101, ppid: 100, role: "worker", startMethod: "fork", startedAt: 100 });
  b.memory(101, [[150, { privateDirty: 1 * MB, anon: 12 * MB }], [400, { privateDirty: 11 * MB, anon: 12 * MB }]]);
  assert.deepEqual(cowRefcountBreakage.check(b.build()), []);
});
