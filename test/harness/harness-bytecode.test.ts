/**
 * Under PYTHONDONTWRITEBYTECODE=1 the harness writes the .pyc files of its own three modules,
 * where Python's import looks for them, so that the processes of later runs do not compile them
 * again (12-20 ms each); the user's modules still get none. A later run finds them current and
 * leaves them alone; a harness folder where they cannot be written works as before. A copy of
 * harness/python, without __pycache__, stands in for a fresh install. Oldest, default and newest Python.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { forEachPython, HARNESS_DIR, newRunDir, readRunLog, runProcess, settle, workspace, type Python } from "./support/harness";

const MAIN = `
import multiprocessing as mp, sys, helper
if __name__ == "__main__":
    with mp.get_context("spawn").Pool(2) as pool:  # processes that start Python afresh
        print(sum(pool.map(helper.square, range(10))))
    print(sys.dont_write_bytecode)
`;
const HELPER = `
def square(x):
    return x * x
`;
const OURS = ["_wmprof_harness/__init__", "_wmprof_harness/_mp", "_wmprof_runner"];

function freshHarness(): string {
  const dir = join(workspace(), "harness");
  cpSync(HARNESS_DIR, dir, { recursive: true, filter: (src) => !src.includes("__pycache__") });
  return dir;
}

async function run(py: Python, harness: string, cwd: string) {
  const runDir = newRunDir();
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: "1", WMPROF_RUN_DIR: runDir, WMPROF_HARNESS_DIR: harness, PYTHONPATH: harness };
  const r = await runProcess(py.exe, [join(harness, "wmprof_run.py"), "main.py"], { cwd, env });
  await settle(runDir);
  return { ...r, log: readRunLog(runDir) };
}

/** The .pyc files of the harness's modules for this interpreter, by module. */
function pycs(harness: string, tag: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of OURS) {
    const slash = m.lastIndexOf("/");
    const folder = join(harness, m.slice(0, slash + 1), "__pycache__");
    const file = join(folder, `${m.slice(slash + 1)}.${tag}.pyc`);
    if (existsSync(file)) out.set(m, statSync(file).mtimeMs);
  }
  return out;
}

forEachPython(test, (py) => {
  test(`${py.label}: PYTHONDONTWRITEBYTECODE=1 still caches the harness's bytecode (and only the harness's)`, async () => {
    const harness = freshHarness();
    const cwd = workspace({ "main.py": MAIN, "helper.py": HELPER });
    const tag = (await runProcess(py.exe, ["-c", "import sys; print(sys.implementation.cache_tag)"], { cwd })).stdout.toString().trim();
    const first = await run(py, harness, cwd);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.toString(), "285\nTrue\n", "the script's output, and the flag is still the user's");
    assert.equal(first.stderr, "");
    assert.ok(first.log.pids().length >= 3, "the main process and both spawn workers reported");
    const written = pycs(harness, tag);
    assert.deepEqual([...written.keys()].sort(), [...OURS].sort(), "all three harness modules cached");
    assert.ok(!existsSync(join(cwd, "__pycache__")), "none for the user's modules");
    assert.deepEqual(readdirSync(join(harness, "__pycache__")), [`_wmprof_runner.${tag}.pyc`], "nothing else of ours either (sitecustomize)");

    const second = await run(py, harness, cwd);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(pycs(harness, tag), written, "current: not written again");

    // a harness that changed (an upgrade in place): its .pyc is rewritten
    const init = join(harness, "_wmprof_harness", "__init__.py");
    writeFileSync(init, `${readFileSync(init, "utf8")}\n# changed\n`);
    const third = await run(py, harness, cwd);
    assert.equal(third.code, 0, third.stderr);
    assert.notEqual(pycs(harness, tag).get("_wmprof_harness/__init__"), written.get("_wmprof_harness/__init__"));
  });

  test(`${py.label}: a harness folder where no .pyc can be written (here: __pycache__ is a file) runs as before`, async () => {
    const harness = freshHarness();
    for (const folder of [harness, join(harness, "_wmprof_harness")]) writeFileSync(join(folder, "__pycache__"), "not a folder");
    const cwd = workspace({ "main.py": MAIN, "helper.py": HELPER });
    const r = await run(py, harness, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), "285\nTrue\n");
    assert.equal(r.stderr, "");
    assert.ok(r.log.pids().length >= 3);
    rmSync(harness, { recursive: true, force: true });
  });
});
