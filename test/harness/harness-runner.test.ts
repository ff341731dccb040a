/**
 * The runner is invisible: stdout, stderr, exit codes, tracebacks, syntax errors, -m, sys.argv,
 * sys.path[0] and KeyboardInterrupt are the script's own (compared with a plain `python` run of
 * the same file), event data never reaches stdout even when the script prints event-shaped JSON,
 * a script that chdir()s is still logged to the run folder, and an unwritable log does not harm
 * the script.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forEachPython, harnessEnv, lineOf, newRunDir, readRunLog, RUNNER, runHarness, runPlain, runProcess, settle, workspace } from "./support/harness";

const JSON_SCRIPT = `
import multiprocessing as mp, sys, json
def child(conn):
    conn.send(conn.recv())
if __name__ == "__main__":
    print('{"e":"hello","v":1,"pid":424242,"ppid":1,"t":0,"role":"main","startMethod":null,"name":"fake","runtime":"python","version":"0","executable":"x"}')
    print(json.dumps({"e": "agg", "pid": 424242, "t": 0, "rows": [[0, "pipe", "send", 9, 9, 9, [9] * 12]]}))
    a, b = mp.get_context("fork").Pipe()
    p = mp.get_context("fork").Process(target=child, args=(b,))
    p.start()
    a.send({"e": "site", "pid": 424242})
    print(json.dumps(a.recv()), flush=True)
    p.join()
    sys.stderr.write('{"e":"bye","pid":424242,"t":0,"exitCode":0}\\n')
    sys.stdout.buffer.write(b"\\x00\\xffraw bytes, no newline")
`;

const EXIT_SCRIPT = `
import sys
print("to stdout")
print("to stderr", file=sys.stderr)
sys.exit(3)
`;

const RAISE_SCRIPT = `
import sys
def inner():
    raise ValueError("boom")
def outer():
    try:
        inner()
    except ValueError as e:
        raise RuntimeError("wrapped") from e
print("before", flush=True)
outer()
`;

const SYNTAX_SCRIPT = `print("never")
x = = 1
`;

const KBI_SCRIPT = `
print("start", flush=True)
raise KeyboardInterrupt
`;

const MOD_FILES = {
  "pkg/__init__.py": "",
  "pkg/mod.py": `
import sys, json, os
import multiprocessing as mp
def f(q):
    q.put(os.getpid())
if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    p = ctx.Process(target=f, args=(q,))
    p.start()
    child = q.get()  # MOD-GET
    p.join()
    print(json.dumps({"argv": sys.argv, "name": __name__, "path0": sys.path[0], "file": __file__,
                      "spec": __spec__.name if __spec__ else None}))
    print(json.dumps({"child": child}), file=sys.stderr)
`,
};

const CHDIR_SCRIPT = `
import multiprocessing as mp, os, sys, json
def f(q):
    q.put(b"x" * 1000)
if __name__ == "__main__":
    print(json.dumps({"argv0": sys.argv[0], "file": __file__, "path0": sys.path[0]}))
    os.chdir(sys.argv[1])
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=f, args=(q,))
    p.start()
    assert len(q.get()) == 1000  # CHDIR-GET
    p.join()
    sys.exit(p.exitcode)
`;

const PIPE_SCRIPT = `
import multiprocessing as mp
def echo(conn):
    for _ in range(300):
        conn.send(conn.recv())
if __name__ == "__main__":
    a, b = mp.get_context("fork").Pipe()
    p = mp.get_context("fork").Process(target=echo, args=(b,))
    p.start()
    for i in range(300):
        a.send(i)
        assert a.recv() == i
    p.join()
    print("done", p.exitcode)
`;

forEachPython(test, (py) => {
  test(`${py.label}: a script printing event-shaped JSON: stdout/stderr byte-identical, logs unaffected`, async () => {
    const dir = workspace({ "j.py": JSON_SCRIPT });
    const plain = await runPlain(py, ["j.py"], { cwd: dir });
    const r = await runHarness(py, ["j.py"], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(plain.stdout), `stdout differs:\n${r.stdout.toString()}\n---\n${plain.stdout.toString()}`);
    assert.equal(r.stderr, plain.stderr);
    const log = r.log;
    assert.deepEqual(log.malformed, []);
    assert.equal(log.events.filter((e) => e.pid === 424242).length, 0);
    assert.equal(log.pids().length, 2, log.dump());
    assert.equal(log.copies({ ch: "pipe" }).length, 4, log.dump());
  });

  test(`${py.label}: sys.exit(3), stdout and stderr pass through`, async () => {
    const dir = workspace({ "e.py": EXIT_SCRIPT });
    const plain = await runPlain(py, [join(dir, "e.py")], { cwd: dir });
    const r = await runHarness(py, [join(dir, "e.py")], { cwd: dir });
    assert.equal(plain.code, 3);
    assert.equal(r.code, 3);
    assert.ok(r.stdout.equals(plain.stdout));
    assert.equal(r.stderr, plain.stderr);
    assert.equal(r.log.of("bye", r.log.main().pid)[0]?.exitCode, 3);
  });

  test(`${py.label}: an uncaught exception exits 1 with the plain traceback (chained, no runner frames)`, async () => {
    const dir = workspace({ "x.py": RAISE_SCRIPT });
    const script = join(dir, "x.py");
    const plain = await runPlain(py, [script], { cwd: dir });
    const r = await runHarness(py, [script], { cwd: dir });
    assert.equal(plain.code, 1);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.toString(), "before\n");
    assert.match(r.stderr, /^Traceback \(most recent call last\):\n {2}File ".*x\.py", line 7, in outer\n/);
    assert.match(r.stderr, /direct cause[^]*Traceback \(most recent call last\):\n {2}File ".*x\.py", line 11, in <module>\n/);
    assert.match(r.stderr, /RuntimeError: wrapped\n$/);
    assert.doesNotMatch(r.stderr, /wmprof_run|runpy|_wmprof_harness/);
    assert.equal(r.stderr, plain.stderr);
    assert.equal(r.log.of("bye", r.log.main().pid)[0]?.exitCode, 1);
  });

  test(`${py.label}: a SyntaxError in the script looks like Python's own`, async () => {
    const dir = workspace({ "s.py": SYNTAX_SCRIPT });
    const script = join(dir, "s.py");
    const plain = await runPlain(py, [script], { cwd: dir });
    const r = await runHarness(py, [script], { cwd: dir });
    assert.equal(plain.code, 1);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.equal(r.stderr, plain.stderr);
    assert.match(r.stderr, /File ".*s\.py", line 2\n[\s\S]*SyntaxError/);
    assert.doesNotMatch(r.stderr, /Traceback/);
  });

  test(`${py.label}: KeyboardInterrupt ends the process like Python does (SIGINT)`, async () => {
    const dir = workspace({ "k.py": KBI_SCRIPT });
    const script = join(dir, "k.py");
    const plain = await runPlain(py, [script], { cwd: dir });
    const r = await runHarness(py, [script], { cwd: dir });
    assert.equal(r.signal, plain.signal);
    assert.equal(r.code, plain.code);
    assert.equal(r.signal, "SIGINT");
    assert.ok(r.stdout.equals(plain.stdout));
    assert.equal(r.stderr, plain.stderr);
    assert.equal(r.log.of("bye", r.log.main().pid)[0]?.exitCode, -2);
  });

  test(`${py.label}: -m MODULE sees the same argv, __name__ and sys.path[0] as python -m`, async () => {
    const dir = workspace(MOD_FILES);
    const plain = await runPlain(py, ["-m", "pkg.mod", "a", "--b"], { cwd: dir });
    const r = await runHarness(py, ["-m", "pkg.mod", "a", "--b"], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), plain.stdout.toString());
    const seen = JSON.parse(r.stdout.toString()) as { argv: string[]; name: string; path0: string };
    assert.deepEqual(seen.argv.slice(1), ["a", "--b"]);
    assert.equal(seen.name, "__main__");
    assert.equal(seen.path0, dir);
    const child = (JSON.parse(r.stderr) as { child: number }).child;
    const log = r.log;
    assert.equal(log.hello(child)?.startMethod, "spawn");
    const got = log.copies({ pid: log.main().pid, ch: "queue", dir: "recv" });
    assert.equal(got.length, 1, log.dump());
    assert.equal(got[0]!.site?.file, join(dir, "pkg", "mod.py"));
    assert.equal(got[0]!.site?.line, lineOf(MOD_FILES["pkg/mod.py"], "# MOD-GET"));
  });

  test(`${py.label}: a missing script or module is a one-line error and exit code 2`, async () => {
    const dir = workspace();
    for (const args of [["nope.py"], ["-m", "no_such_module_xyz"], []]) {
      const r = await runHarness(py, args, { cwd: dir });
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^wmprof_run: /);
      assert.equal(r.stdout.length, 0);
    }
  });

  test(`${py.label}: a script that chdir()s still logs to the run folder with absolute sites`, async () => {
    const dir = workspace({ "c.py": CHDIR_SCRIPT });
    const elsewhere = mkdtempSync(join(tmpdir(), "wmprof-elsewhere-"));
    const r = await runHarness(py, ["c.py", elsewhere], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const first = JSON.parse(r.stdout.toString().split("\n")[0]!) as { argv0: string; file: string; path0: string };
    assert.equal(first.argv0, "c.py", "sys.argv[0] as given");
    assert.equal(first.file, join(dir, "c.py"));
    assert.equal(first.path0, dir);
    assert.deepEqual(readdirSync(elsewhere), [], "nothing written to the new cwd");
    const log = r.log;
    const got = log.copies({ ch: "queue", dir: "recv", line: lineOf(CHDIR_SCRIPT, "# CHDIR-GET") });
    assert.equal(got.length, 1, log.dump());
    assert.equal(got[0]!.site?.file, join(dir, "c.py"));
    assert.equal(log.pids().length >= 3, true, "main, child, resource tracker");
  });

  test(`${py.label}: an unwritable log (missing run folder, file size limit) does not harm the script`, async () => {
    const dir = workspace({ "p.py": PIPE_SCRIPT });
    const plain = await runPlain(py, ["p.py"], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    // the run folder does not exist
    const gone = join(tmpdir(), `wmprof-gone-${process.pid}-${Date.now()}`);
    const a = await runProcess(py.exe, [RUNNER, "p.py"], { cwd: dir, env: harnessEnv(gone) });
    assert.equal(a.code, 0, a.stderr);
    assert.ok(a.stdout.equals(plain.stdout));
    assert.equal(a.stderr, plain.stderr);
    assert.equal(existsSync(gone), false);
    // writes start failing (EFBIG) after 512 bytes: the harness stops writing and leaves a marker
    const runDir = newRunDir();
    const b = await runProcess("/bin/sh", ["-c", 'ulimit -f 1 && exec "$0" "$@"', py.exe, RUNNER, "p.py"], { cwd: dir, env: harnessEnv(runDir) });
    await settle(runDir);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(b.stdout.equals(plain.stdout));
    assert.equal(b.stderr, plain.stderr);
    const log = readRunLog(runDir);
    assert.ok(log.failed.length >= 1, `markers: ${log.files}`);
  });
});
