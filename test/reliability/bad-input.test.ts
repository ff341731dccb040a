/** Issue 8, bad input: one line on stderr, a non-zero exit, no stack trace (the ones not in test/harness/cli-errors.test.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { runCli, workspace } from "../support/cli";
import { PY37 } from "./support";

const oneLine = (s: string) => s.trim().split("\n").length === 1 && !/\n\s+at /.test(s);

test("Python older than 3.8 is refused in one line", { skip: !existsSync(PY37) && "no pyenv 3.7" }, async () => {
  const dir = workspace({ "ok.py": "print('hi')\n" });
  const r = await runCli(["run", "--python", PY37, "ok.py"], { cwd: dir });
  assert.notEqual(r.code, 0);
  assert.ok(oneLine(r.stderr), r.stderr);
  assert.match(r.stderr, /3\.7/);
  assert.equal(r.stdout, "", "the script did not run");
});

test("compare: a corrupt or foreign JSON gets one line", async () => {
  const dir = workspace({ "ok.py": "print('hi')\n", "foreign.json": '{"hello":1}', "bad.json": "{", "arr.json": "[1,2]" });
  const ok = await runCli(["run", "--quiet", "ok.py"], { cwd: dir });
  assert.equal(ok.code, 0);
  for (const f of ["foreign.json", "bad.json", "arr.json", "missing.json"]) {
    const r = await runCli(["compare", ok.out, f], { cwd: dir });
    assert.equal(r.code, 2, `${f}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), r.stderr);
  }
});

test("recover: a folder that is not a run folder, a file, a missing path, a corrupt run.json", async () => {
  const dir = workspace({ "file.txt": "x" });
  const corrupt = workspace({ "run.json": "{\"v\":1" });
  for (const p of [dir, `${dir}/file.txt`, `${dir}/nope`, corrupt]) {
    const r = await runCli(["recover", p], { cwd: dir });
    assert.equal(r.code, 2, `${p}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), r.stderr);
  }
});
