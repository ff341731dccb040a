import { test } from "node:test";
import assert from "node:assert/strict";
import { RULES, runFindings, type FindingRule } from "../../src/core/findings";
import { GB, MB, ProfileBuilder, site } from "./support/profileBuilder";

test("runFindings runs every rule and sorts by severity, then size", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "spawn")
    .copy({ pid: 100, channel: "process-args", count: 4, eachBytes: 300 * MB, site: site("a.py", 1) }) // 1.2 GB: error
    .copy({ pid: 100, channel: "queue", count: 10, eachBytes: 2 * MB, site: site("b.py", 2) }) // 20 MiB: warning
    .copy({ pid: 100, channel: "pool", count: 5000, eachBytes: 50, site: site("c.py", 3) }) // small-chunksize
    .sharedMemory({ name: "psm_x", bytes: 64 * MB, pid: 100, unlinked: false, site: site("d.py", 4) }) // 64 MiB warning
    .build();
  const fs = runFindings(p);
  assert.deepEqual(fs.map((f) => f.rule), ["pickled-process-args", "shared-memory-leak", "large-queue-payloads", "small-chunksize"]);
  assert.equal(fs[0]?.severity, "error");
  assert.ok((fs[0]?.data?.bytes as number) >= 1 * GB);
  for (const f of fs) {
    assert.ok(f.message.length > 0 && f.fix && f.fix.length > 0, f.rule);
    assert.ok(f.site, `${f.rule} has a site`);
  }
});

test("the rule list has one rule per id, and runFindings survives a failing rule", () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), [
    "clone-of-objects", "cow-refcount-breakage", "large-clone", "large-queue-payloads", "manager-chatty", "pickled-process-args",
    "shared-memory-leak", "small-chunksize", "worker-heap-growth",
  ]);
  const broken: FindingRule = { id: "broken", description: "throws", check: () => { throw new Error("boom"); } };
  const fs = runFindings(new ProfileBuilder().process({ pid: 1 }).build(), [broken, ...RULES]);
  assert.equal(fs.length, 1);
  assert.equal(fs[0]?.severity, "info");
  assert.match(fs[0]?.message ?? "", /broken failed on this profile: boom/);
});

test("a clean run has no findings", () => {
  const p = new ProfileBuilder()
    .pool(100, 4, "fork")
    .copy({ pid: 100, channel: "pool", count: 16, eachBytes: 20_000, site: site("ok.py", 9) })
    .sharedMemory({ name: "psm_ok", bytes: 64 * MB, pid: 100, unlinked: true })
    .build();
  assert.deepEqual(runFindings(p), []);
});
