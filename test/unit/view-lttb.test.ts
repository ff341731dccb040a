import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { lttbIndices, mergeBuckets } from "../../src/core/view/lttb";
import { rng } from "./view-synthetic";

function series(n: number, seed = 1): { x: number[]; ys: (number | null)[][] } {
  const r = rng(seed);
  const x = Array.from({ length: n }, (_, i) => i * 50);
  let v = 100;
  const a = x.map(() => (v += r() - 0.5));
  const b = a.map((y) => y * 0.5 + r());
  // Spikes that a naive stride would miss.
  a[Math.floor(n * 0.37)] = 1000;
  b[Math.floor(n * 0.71)] = -500;
  return { x, ys: [a, b] };
}

describe("lttbIndices", () => {
  it("keeps every point when there are few enough", () => {
    const { x, ys } = series(1500);
    assert.deepEqual(lttbIndices(x, ys, 2000), x.map((_, i) => i));
  });

  it("never exceeds maxPoints, starts at 0, ends at n-1, ascending and unique", () => {
    for (const n of [2001, 2048, 12000, 100_003]) {
      for (const max of [2000, 1000, 250, 12]) {
        const { x, ys } = series(n, n + max);
        const idx = lttbIndices(x, ys, max);
        assert.ok(idx.length <= max, `${n}/${max}: ${idx.length}`);
        assert.ok(idx.length >= Math.min(max, n) / 4, `${n}/${max}: only ${idx.length}`);
        assert.equal(idx[0], 0);
        assert.equal(idx[idx.length - 1], n - 1);
        for (let i = 1; i < idx.length; i++) assert.ok((idx[i] as number) > (idx[i - 1] as number));
      }
    }
  });

  it("keeps each column's global minimum and maximum", () => {
    for (const n of [5000, 12000, 60000]) {
      const { x, ys } = series(n, 7 * n);
      const idx = new Set(lttbIndices(x, ys, 2000));
      for (const col of ys) {
        const vals = col as number[];
        assert.ok(idx.has(vals.indexOf(Math.max(...vals))), "max kept");
        assert.ok(idx.has(vals.indexOf(Math.min(...vals))), "min kept");
      }
    }
  });

  it("skips nulls and keeps working when a whole column is null", () => {
    const { x, ys } = series(9000);
    const nulls = x.map(() => null);
    const idx = lttbIndices(x, [...ys, nulls], 2000);
    assert.ok(idx.length <= 2000);
    const withGaps = (ys[0] as number[]).map((v, i) => (i % 3 === 0 ? null : v));
    assert.ok(lttbIndices(x, [withGaps], 2000).length <= 2000);
  });

  it("is stable while points are appended: only the tail changes", () => {
    const { x, ys } = series(12000);
    const before = lttbIndices(x.slice(0, 10000), ys.map((c) => c.slice(0, 10000)), 2000);
    const after = lttbIndices(x.slice(0, 10050), ys.map((c) => c.slice(0, 10050)), 2000);
    let k = 0;
    while (k < before.length && before[k] === after[k]) k++;
    assert.ok(before.length - k <= 4, `diverged ${before.length - k} points before the end`);
  });
});

describe("mergeBuckets", () => {
  it("merges byte buckets to ≤ maxPoints and preserves totals", () => {
    const r = rng(3);
    const t = Array.from({ length: 5000 }, (_, i) => i * 10);
    const a = t.map(() => Math.round(r() * 1000));
    const m = mergeBuckets(t, [a], 10, 2000);
    assert.ok(m.t.length <= 2000);
    assert.equal(m.bucketMs, 40);
    assert.equal(m.series[0]?.reduce((x, y) => x + y, 0), a.reduce((x, y) => x + y, 0));
    assert.deepEqual(mergeBuckets(t.slice(0, 10), [a.slice(0, 10)], 10, 2000).series[0], a.slice(0, 10));
  });
});
