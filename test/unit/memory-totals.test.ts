import { test } from "node:test";
import assert from "node:assert/strict";
import { computeMemoryTotals, sharedMemoryBytes, sumSeries } from "../../src/core/memory/totals";
import { mergeShmAttachments } from "../../src/core/memory/shared";
import { MB, ProfileBuilder } from "./support/profileBuilder";

test("Σ PSS is aligned by sample time; a process counts only between its first and last sample", () => {
  const p = new ProfileBuilder()
    .process({ pid: 1 })
    .process({ pid: 2, ppid: 1 })
    .process({ pid: 3, ppid: 1 })
    .memory(1, [[0, { pss: 100 * MB, rss: 150 * MB }], [100, { pss: 60 * MB, rss: 150 * MB }], [200, { pss: 60 * MB, rss: 150 * MB }]])
    .memory(2, [[100, { pss: 60 * MB, rss: 150 * MB }], [200, { pss: 70 * MB, rss: 160 * MB }]])
    .memory(3, [[200, { pss: 10 * MB, rss: 20 * MB }], [300, { pss: 10 * MB, rss: 20 * MB }]])
    .build();
  const pts = sumSeries(p.processes);
  assert.deepEqual(pts.map((x) => [x.t, x.pss! / MB, x.rss / MB, x.processes]), [
    [0, 100, 150, 1],
    [100, 120, 300, 2],
    [200, 140, 330, 3],
    [300, 10, 20, 1],
  ]);
  const totals = computeMemoryTotals(p.processes, []);
  assert.equal(totals.peakPssSum, 140 * MB, "not the sum of per-process peaks (100 + 70 + 10)");
  assert.equal(totals.peakRssSum, 330 * MB);
  assert.equal(totals.maxCowBrokenBytes, null);
});

test("a process counts until its end, not until its last sample: figures carried past its exit are not summed", () => {
  // Two fork children shared 36 MB of the parent's pages and exited at 150. The parent's own exit
  // sample (t=160) shows those pages as its own; the children's figures, carried by the sampler
  // for a few ticks without a read, run to t=200 and must not be added on top at 160 or 200.
  const p = new ProfileBuilder()
    .process({ pid: 1, endedAt: 220 })
    .process({ pid: 2, ppid: 1, endedAt: 150 })
    .process({ pid: 3, ppid: 1, endedAt: 150 })
    .memory(1, [[0, { pss: 205 * MB, rss: 243 * MB }], [100, { pss: 205 * MB, rss: 243 * MB }], [160, { pss: 242 * MB, rss: 243 * MB }], [200, { pss: 242 * MB, rss: 243 * MB }]])
    .memory(2, [[0, { pss: 204 * MB, rss: 241 * MB }], [100, { pss: 204 * MB, rss: 241 * MB }], [200, { pss: 204 * MB, rss: 241 * MB }]])
    .memory(3, [[0, { pss: 204 * MB, rss: 241 * MB }], [100, { pss: 204 * MB, rss: 241 * MB }], [200, { pss: 204 * MB, rss: 241 * MB }]])
    .build();
  assert.deepEqual(sumSeries(p.processes).map((x) => [x.t, x.pss! / MB, x.processes]), [
    [0, 613, 3],
    [100, 613, 3],
    [160, 242, 1],
    [200, 242, 1],
  ]);
  assert.equal(computeMemoryTotals(p.processes, []).peakPssSum, 613 * MB, "not 650 (242 + 2 × 204)");
});

test("a missing sample inside a process's life carries its previous one; RSS stands in for missing PSS", () => {
  const p = new ProfileBuilder()
    .process({ pid: 1 })
    .process({ pid: 2, ppid: 1 })
    .memory(1, [[0, { pss: 10 * MB, rss: 12 * MB }], [50, { pss: 10 * MB, rss: 12 * MB }], [100, { pss: 10 * MB, rss: 12 * MB }]])
    .memory(2, [[0, { pss: 5 * MB, rss: 6 * MB }], [100, { pss: 7 * MB, rss: 8 * MB }]]) // skipped at t=50
    .process({ pid: 3, ppid: 1 })
    .memory(3, [[100, { rss: 4 * MB }]]) // no smaps read yet
    .build();
  const pts = sumSeries(p.processes);
  assert.deepEqual(pts.map((x) => x.pss! / MB), [15, 15, 21]);
  assert.deepEqual(pts.map((x) => x.rss / MB), [18, 18, 24]);
});

test("no PSS anywhere (macOS, old kernels): peakPssSum is null, not 0", () => {
  const p = new ProfileBuilder().process({ pid: 1 }).memory(1, [[0, { rss: 10 * MB }]]).build();
  const t = computeMemoryTotals(p.processes, []);
  assert.equal(t.peakPssSum, null);
  assert.equal(t.peakRssSum, 10 * MB);
  assert.deepEqual(computeMemoryTotals([], []), { peakPssSum: null, peakRssSum: null, sharedMemoryBytes: 0, maxCowBrokenBytes: null });
});

test("live peaks from the sampler win when higher (decimated samples lose the exact peak)", () => {
  const p = new ProfileBuilder().process({ pid: 1 }).memory(1, [[0, { pss: 10 * MB, rss: 12 * MB }]]).build();
  const t = computeMemoryTotals(p.processes, [], { livePeaks: { pss: 30 * MB, rss: 9 * MB } });
  assert.equal(t.peakPssSum, 30 * MB);
  assert.equal(t.peakRssSum, 12 * MB);
});

test("shared memory counted once per block; worst COW child", () => {
  const p = new ProfileBuilder()
    .process({ pid: 1 })
    .process({ pid: 2, ppid: 1, startMethod: "fork" })
    .process({ pid: 3, ppid: 1, startMethod: "fork" })
    .sharedMemory({ name: "psm_a", bytes: 64 * MB, pid: 1, attachedPids: [2, 3] })
    .sharedMemory({ name: "psm_a", bytes: 64 * MB, pid: 1 }) // reported twice (create + attach)
    .sharedMemory({ name: "psm_b", bytes: 1 * MB, pid: 2 })
    .build();
  p.processes[1]!.cowBrokenBytes = 5 * MB;
  p.processes[2]!.cowBrokenBytes = 150 * MB;
  const t = computeMemoryTotals(p.processes, p.sharedMemory);
  assert.equal(t.sharedMemoryBytes, 65 * MB);
  assert.equal(sharedMemoryBytes(p.sharedMemory), 65 * MB);
  assert.equal(t.maxCowBrokenBytes, 150 * MB);
});

test("attachments seen in /proc/<pid>/maps are merged into the harness's blocks", () => {
  const p = new ProfileBuilder()
    .sharedMemory({ name: "psm_a", bytes: 64 * MB, pid: 1, attachedPids: [2] })
    .sharedMemory({ name: "/psm_b", bytes: 1 * MB, pid: 1 })
    .build();
  const merged = mergeShmAttachments(p.sharedMemory, new Map([["psm_a", [1, 2, 3, 4]], ["psm_b", [5]], ["other", [9]]]));
  assert.deepEqual(merged.map((b) => b.attachedPids), [[1, 2, 3, 4], [5]]);
  assert.deepEqual(p.sharedMemory[0]?.attachedPids, [2], "input untouched");
});
