/** The bench's target verdicts: a median's bootstrap interval, and met / not met / inconclusive. */
import { test } from "node:test";
import assert from "node:assert/strict";
// @ts-expect-error: plain ES module without types (bench/ is not part of the TypeScript build)
import { median, medianInterval, ratioVerdict } from "../../bench/suite/report.mjs";

test("medianInterval brackets the median, narrows with more rounds and repeats itself", () => {
  const noisy = [1.1, 1.2, 0.9, 1.05, 1.3, 1.0, 1.12, 1.08, 0.95];
  const [lo, hi] = medianInterval(noisy);
  assert.ok(lo <= median(noisy) && median(noisy) <= hi);
  assert.ok(lo >= Math.min(...noisy) && hi <= Math.max(...noisy));
  assert.deepEqual(medianInterval(noisy), [lo, hi], "fixed seed: the same data, the same interval");
  // The same spread of values, 5 times as many rounds: a tighter interval.
  const many = Array.from({ length: 5 }, () => noisy).flat();
  const [lo5, hi5] = medianInterval(many);
  assert.ok(hi5 - lo5 < hi - lo, `${hi5 - lo5} < ${hi - lo}`);
  assert.deepEqual(medianInterval([1, 1, 1, 1]), [1, 1]);
  assert.equal(medianInterval([1.1, 1.2]), null, "too few rounds for an interval");
  assert.equal(medianInterval([1.1, null, NaN, 1.2]), null, "non-numbers do not count");
});

test("ratioVerdict: yes only when the whole interval meets the target, no when it all misses", () => {
  assert.equal(ratioVerdict(1.02, [0.99, 1.04], 1.05).verdict, "yes");
  const no = ratioVerdict(1.08, [1.06, 1.1], 1.05);
  assert.equal(no.verdict, "no");
  assert.match(no.by, /\+2\.9 % over; 95 % interval 1\.060–1\.100/);
  const unsure = ratioVerdict(1.04, [0.98, 1.09], 1.05);
  assert.equal(unsure.verdict, "inconclusive", "a median under the target is not enough");
  assert.match(unsure.by, /0\.980–1\.090 spans the target/);
  assert.equal(ratioVerdict(1.06, [0.98, 1.09], 1.05).verdict, "inconclusive", "nor is one over it");
  // Without an interval (fewer than 3 rounds) the median decides.
  assert.equal(ratioVerdict(1.04, null, 1.05).verdict, "yes");
  assert.equal(ratioVerdict(1.06, null, 1.05).verdict, "no");
  assert.equal(ratioVerdict(null, null, 1.05).verdict, "no");
});

test("ratioVerdict: a floor above the target decides, whatever the noisy median says", () => {
  const v = ratioVerdict(1.0, [0.95, 1.04], 1.01, 1.021);
  assert.equal(v.verdict, "no");
  assert.match(v.by, /node's own start-up alone makes 1\.021×/);
  assert.equal(ratioVerdict(1.0, [0.98, 1.0], 1.05, 1.02).verdict, "yes", "a floor under the target changes nothing");
});
