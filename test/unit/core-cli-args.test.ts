import { test } from "node:test";
import assert from "node:assert/strict";
import { parseArgs } from "../../src/cli/args";
import { WmprofError } from "../../src/core/errors";
import { CopyTimelineBuilder } from "../../src/core/timeline";

test("options before the script are ours, everything after belongs to the script", () => {
  assert.deepEqual(parseArgs(["run", "--out", "p.json", "--interval", "20", "s.py", "--out", "x", "-m"]), {
    cmd: "run", tracemalloc: false, quiet: false, keepRunDir: false, out: "p.json", intervalMs: 20,
    target: { kind: "script", path: "s.py" }, args: ["--out", "x", "-m"],
  });
  assert.deepEqual(parseArgs(["run", "-m", "pkg.mod", "a"]), { cmd: "run", tracemalloc: false, quiet: false, keepRunDir: false, target: { kind: "module", name: "pkg.mod" }, args: ["a"] });
});

test("bad input is a one-line WmprofError", () => {
  for (const argv of [["run"], ["run", "--interval", "0", "s.py"], ["run", "--interval", "abc", "s.py"], ["run", "--bogus", "s.py"], ["nope"], ["report"], ["run", "--out"]]) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof WmprofError && !e.message.includes("\n"), argv.join(" "));
  }
});

test("the copy timeline widens its buckets instead of growing without bound", () => {
  const tl = new CopyTimelineBuilder(0, 100, 10);
  for (let t = 0; t < 10_000; t += 50) tl.add(t, "pipe", 1);
  const built = tl.build();
  assert.ok(built.t.length <= 10);
  assert.equal(built.bytes.pipe!.reduce((a, b) => a + b, 0), 200);
  assert.ok(built.bucketMs >= 1000);
});
