import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeCow, applyCow, cowAnalyses, cowCopiedBytes, findProcessAt } from "../../src/core/memory/cow";
import { renderSummary } from "../../src/core/summary";
import { MB, ProfileBuilder } from "./support/profileBuilder";

function tree() {
  return new ProfileBuilder()
    .process({ pid: 10, role: "main" })
    .memory(10, [[0, { anon: 20 * MB }], [100, { anon: 240 * MB }], [300, { anon: 240 * MB }], [900, { anon: 240 * MB }]]);
}

test("inherited copies = Private_Dirty − own allocations, bounded by what was inherited", () => {
  const p = tree()
    .process({ pid: 11, ppid: 10, startMethod: "fork", startedAt: 150 })
    // the child copies 150 MB of inherited pages and allocates 40 MB of its own
    .memory(11, [
      [200, { privateDirty: 2 * MB, anon: 241 * MB }],
      [500, { privateDirty: 100 * MB, anon: 260 * MB }],
      [800, { privateDirty: 190 * MB, anon: 280 * MB }],
    ])
    .build();
  const a = analyzeCow(p.processes[1]!, p.processes[0]);
  assert.ok(a);
  assert.equal(a.inheritedSize, 240 * MB, "min(child's first RssAnon, parent's RssAnon around the fork)");
  assert.deepEqual(a.series.map((x) => [x.broken / MB, x.own / MB, x.inherited / MB]), [
    [2, 1, 1],
    [100, 20, 80],
    [190, 40, 150],
  ]);
  assert.equal(a.brokenBytes, 190 * MB);
  assert.equal(a.inheritedBytes, 150 * MB);
  assert.equal(a.inheritedFraction, 150 / 240);
  assert.equal(a.gc.cause, "unknown");
});

test("applyCow fills fork and forkserver children only; spawn children and the main process are left alone", () => {
  const p = tree()
    .process({ pid: 11, ppid: 10, startMethod: "fork", startedAt: 150 })
    .memory(11, [[200, { privateDirty: 185 * MB, anon: 240 * MB }]])
    .process({ pid: 12, ppid: 10, startMethod: "spawn", startedAt: 150 })
    .memory(12, [[200, { privateDirty: 60 * MB, anon: 60 * MB }]])
    .process({ pid: 13, ppid: 10, startMethod: "fork", startedAt: 150 }) // no smaps data
    .memory(13, [[200, { rss: 240 * MB }]])
    .build();
  const out = applyCow(p.processes);
  assert.equal(out, p.processes);
  assert.equal(p.processes[1]?.cowBrokenBytes, 185 * MB);
  assert.equal(p.processes[1]?.cowInheritedBytes, 185 * MB);
  assert.equal(p.processes[2]?.cowBrokenBytes, undefined);
  assert.equal(p.processes[3]?.cowBrokenBytes, null);
  assert.equal(p.processes[0]?.cowBrokenBytes, undefined);
  assert.equal(cowAnalyses(p.processes).length, 1);
});

test("a reused parent pid resolves to the process alive at the child's start", () => {
  const p = new ProfileBuilder()
    .process({ pid: 10, startedAt: 0, endedAt: 100 })
    .process({ pid: 10, startedAt: 200, endedAt: 900 })
    .build();
  assert.equal(findProcessAt(p.processes, 10, 50), p.processes[0]);
  assert.equal(findProcessAt(p.processes, 10, 300), p.processes[1]);
});

test("gc attribution: growth inside intervals with a generation-2 collection", () => {
  const p = tree()
    .heap(10, [{ t: 120, collections: [50, 4, 1] }])
    .process({ pid: 11, ppid: 10, startMethod: "fork", startedAt: 150 })
    .memory(11, [
      [200, { privateDirty: 1 * MB, anon: 240 * MB }],
      [400, { privateDirty: 2 * MB, anon: 240 * MB }],
      [500, { privateDirty: 120 * MB, anon: 240 * MB }],
      [800, { privateDirty: 126 * MB, anon: 240 * MB }],
    ])
    .heap(11, [{ t: 400, collections: [50, 4, 1] }, { t: 550, collections: [51, 4, 2] }, { t: 850, collections: [53, 4, 2] }])
    .build();
  const a = analyzeCow(p.processes[1]!, p.processes[0]);
  assert.equal(a?.gc.cause, "gc");
  assert.equal(a?.gc.fullCollections, 1);
  assert.equal(a?.gc.growthDuringGc, 118 * MB);
  assert.equal(a?.gc.growth, 125 * MB);
});

test("gc attribution with only exit-time heap samples: the parent's later count bounds the child's start", () => {
  // the harness saw no hook fire: one heap sample per process, at exit, parent after the children
  const base = () =>
    tree()
      .process({ pid: 11, ppid: 10, startMethod: "fork", startedAt: 150 })
      .memory(11, [[200, { privateDirty: 1 * MB, anon: 240 * MB }], [600, { privateDirty: 126 * MB, anon: 240 * MB }]]);
  // the child ran gc.collect(): its generation-2 count (12) exceeds the parent's at its own exit (11)
  const gc = base().heap(10, [{ t: 900, collections: [9, 3, 11] }]).heap(11, [{ t: 700, collections: [9, 3, 12] }, { t: 700, collections: [9, 3, 12] }]).build();
  const a = analyzeCow(gc.processes[1]!, gc.processes[0]);
  assert.equal(a?.gc.cause, "gc");
  assert.equal(a?.gc.fullCollections, 1);
  // same counts: no collection seen, refcount writes
  const rc = base().heap(10, [{ t: 900, collections: [9, 3, 11] }]).heap(11, [{ t: 700, collections: [9, 3, 11] }]).build();
  assert.equal(analyzeCow(rc.processes[1]!, rc.processes[0])?.gc.cause, "refcount");
  // duplicates of one moment are not an interval
  const one = base().heap(11, [{ t: 700, collections: [9, 3, 12] }, { t: 700, collections: [9, 3, 12] }]).build();
  assert.equal(analyzeCow(one.processes[1]!, one.processes[0])?.gc.cause, "unknown");
});

test("the COW-BROKEN column shows inherited pages copied, not the child's own allocations", () => {
  const p = tree()
    .process({ pid: 11, ppid: 10, startMethod: "fork", startedAt: 150 })
    // 190 MB private dirty, of which 40 MB is the child's own (a received payload, say)
    .memory(11, [
      [200, { privateDirty: 2 * MB, anon: 241 * MB }],
      [800, { privateDirty: 190 * MB, anon: 280 * MB }],
    ])
    .build();
  applyCow(p.processes);
  const child = p.processes[1]!;
  assert.equal(cowCopiedBytes(child), 150 * MB);
  assert.equal(cowCopiedBytes({ cowBrokenBytes: 7 * MB, cowInheritedBytes: null }), 7 * MB, "Private_Dirty stands in without an estimate");
  assert.equal(cowCopiedBytes(p.processes[0]!), null);
  const row = renderSummary(p).split("\n").find((l) => /^\s*11\s/.test(l));
  assert.ok(row, renderSummary(p));
  assert.match(row, /\s150 MiB$/);
  assert.doesNotMatch(row, /190 MiB/);
});
