/**
 * Issue 8, priority 1: CPython's own multiprocessing tests pass under the harness wherever they
 * pass plainly. The quick subset (scripts/stdlib-compare.mjs QUICK_*) runs here; the full suites
 * run with `npm run test:stdlib` (results in docs/stdlib-comparison.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support/cli";
import { PY313 } from "./support";

test("test_multiprocessing_spawn quick subset (Python 3.13): every plain pass also passes under the harness", { skip: !existsSync(PY313) && "no pyenv 3.13", timeout: 1_800_000 }, () => {
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "stdlib-compare.mjs"), "--quick", "--python", PY313], { encoding: "utf8" });
  process.stdout.write(r.stdout);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /# OK/);
});
