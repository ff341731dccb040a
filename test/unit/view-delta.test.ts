import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildProfileView } from "../../src/core/view/build";
import { applyProfileViewDelta, deepEqual, deltaSections, diffProfileViews } from "../../src/core/view/delta";
import { loadSampleProfile, makeBigProfile, profileAt } from "./view-synthetic";

const size = (x: unknown) => JSON.stringify(x).length;

describe("diffProfileViews / applyProfileViewDelta", () => {
  it("returns null when nothing changed", () => {
    const v = buildProfileView(loadSampleProfile());
    assert.equal(diffProfileViews(v, buildProfileView(loadSampleProfile())), null);
  });

  it("applies back to the same model at every step of a live run (sample fixture)", () => {
    const full = loadSampleProfile();
    let prev = buildProfileView(profileAt(full, 0), { live: true });
    for (let t = 100; t <= full.wallMs + 100; t += 100) {
      const live = t <= full.wallMs;
      const next = buildProfileView(live ? profileAt(full, t) : full, { live });
      const d = diffProfileViews(prev, next);
      const applied = d ? applyProfileViewDelta(prev, d) : prev;
      assert.ok(deepEqual(applied, next), `t=${t}`);
      assert.deepEqual(JSON.parse(JSON.stringify(applied)), JSON.parse(JSON.stringify(next)));
      prev = next;
    }
  });

  it("applies back across appearing processes, a new channel and a finding", () => {
    const full = loadSampleProfile();
    const a = buildProfileView(profileAt(full, 300), { live: true }); // before the workers start
    const b = buildProfileView(full);
    assert.ok(a.memory.series.length < b.memory.series.length);
    const d = diffProfileViews(a, b);
    assert.ok(d?.memory?.upsert.length);
    assert.ok(deltaSections(d).has("findings") || a.findings.length === b.findings.length);
    assert.ok(deepEqual(applyProfileViewDelta(a, d), b));
    // And backwards (series disappear, timeline shrinks).
    const back = diffProfileViews(b, a);
    assert.ok(back);
    assert.ok(deepEqual(applyProfileViewDelta(b, back), a));
  });

  it("does not modify the previous view", () => {
    const full = loadSampleProfile();
    const a = buildProfileView(profileAt(full, 1000), { live: true });
    const frozen = JSON.stringify(a);
    const d = diffProfileViews(a, buildProfileView(full));
    assert.ok(d);
    applyProfileViewDelta(a, d);
    assert.equal(JSON.stringify(a), frozen);
  });

  it("keeps live deltas small for 64 processes × 12,000 samples (tails, not whole series)", () => {
    const full = makeBigProfile();
    // 4 Hz updates: 250 ms of new samples (5 per process) each.
    const times = [400_000, 400_250, 400_500, 400_750];
    let prev = buildProfileView(profileAt(full, times[0] as number), { live: true });
    const snapshot = size(prev);
    for (const t of times.slice(1)) {
      const next = buildProfileView(profileAt(full, t), { live: true });
      const d = diffProfileViews(prev, next);
      assert.ok(d);
      assert.ok(deepEqual(applyProfileViewDelta(prev, d), next));
      const ratio = size(d) / snapshot;
      assert.ok(ratio < 0.05, `delta is ${(ratio * 100).toFixed(1)}% of the snapshot`);
      assert.equal(d.memory?.upsert.length, 0);
      prev = next;
    }
  });
});
