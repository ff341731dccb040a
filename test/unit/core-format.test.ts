/** formatCount: thousands separators without Intl (see format.ts), the same text Intl's en-US gives. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCount } from "../../src/core/format";

test("formatCount groups digits as en-US does, rounds, and says – for no value", () => {
  const intl = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  for (const n of [0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 123_456_789, -1, -1234, -98_765_432, 1234.5, 2 ** 53, 1e20, 1e21, 3.2e25]) {
    assert.equal(formatCount(n), intl.format(Math.round(n)), String(n));
  }
  assert.equal(formatCount(-0.4), "0", "no negative zero");
  for (const v of [null, undefined, NaN, Infinity]) assert.equal(formatCount(v), "–");
});
