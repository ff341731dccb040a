import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { timeAxisEnd } from "../../src/core/view/axis";
import { buildProfileView } from "../../src/core/view/build";
import { loadSampleProfile, makeBigProfile, profileAt } from "./view-synthetic";

describe("timeAxisEnd", () => {
  it("ends at the data when the run is over", () => {
    const profile = loadSampleProfile();
    const view = buildProfileView(profile);
    const lastBucket = (view.copies.timeline.t.at(-1) as number) + view.copies.timeline.bucketMs;
    assert.equal(timeAxisEnd(view), Math.max(profile.wallMs, lastBucket));
  });

  it("while live, rounds up to a step of about 1 % of the run, so it moves in steps", () => {
    const full = makeBigProfile({ processes: 4, samples: 12000 });
    const ends: number[] = [];
    for (let t = 580_000; t <= 600_000; t += 250) {
      const view = buildProfileView(profileAt(full, t), { live: true });
      const data = timeAxisEnd({ ...view, meta: { ...view.meta, live: false } });
      const end = timeAxisEnd(view);
      assert.ok(end >= data && end <= data * 1.025, `${end} for data up to ${data}`);
      ends.push(end);
    }
    // 81 updates over 20 s of a 10-minute run (the copy buckets reach a little past 580 s at
    // first): the axis moved once, by a 10 s step.
    assert.deepEqual([...new Set(ends)], [590_000, 600_000]);
  });

  it("keeps a tiny or empty run's own end", () => {
    const view = buildProfileView(profileAt(loadSampleProfile(), 0), { live: true });
    assert.ok(timeAxisEnd(view) >= 0);
    assert.ok(Number.isFinite(timeAxisEnd(view)));
  });
});
