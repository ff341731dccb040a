/** Bad input and bad days: one clear line, no stack trace, and the profile is still written. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, workspace } from "../support/cli";

const oneLine = (s: string) => s.trim().split("\n").length === 1 && !/\n\s+at /.test(s);

test("a missing script: one line, exit 2, no stack trace", async () => {
  const dir = workspace();
  const r = await runCli(["run", "nope.py"], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^wmprof: Script not found: .*nope\.py\n$/);
});

test("a directory, a binary and a shell script are refused in one line", async () => {
  const dir = workspace({ "bin.py": "\x00\x01\x02", "s.sh": "#!/bin/bash\necho hi\n" });
  for (const target of [".", "bin.py", "s.sh"]) {
    const r = await runCli(["run", target], { cwd: dir });
    assert.equal(r.code, 2, target);
    assert.ok(oneLine(r.stderr), r.stderr);
  }
});

test("a missing interpreter, Python 2 and a non-Python interpreter are named in one line", async () => {
  const dir = workspace({ "ok.py": "print(1)\n" });
  const py2 = `${process.env.HOME ?? "/root"}/.pyenv/versions/2.7.18/bin/python2`;
  for (const py of ["/nonexistent/python", "/bin/echo", py2]) {
    const r = await runCli(["run", "--python", py, "ok.py"], { cwd: dir });
    assert.equal(r.code, 2, py);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.match(r.stderr, /No Python 3\.8\+ interpreter found/);
  }
});

test("a bad --interval is refused", async () => {
  const r = await runCli(["run", "--interval", "-5", "x.py"], { cwd: workspace() });
  assert.equal(r.code, 2);
  assert.ok(oneLine(r.stderr));
});

test("stdout, stderr and exit code pass through untouched; event-shaped JSON on stdout is the script's", async () => {
  const fake = '{"e":"agg","pid":1,"t":1,"rows":[[0,"queue","send",99,999999999,1]]}';
  const dir = workspace({
    "p.py": `import sys\nprint(${JSON.stringify(fake)})\nsys.stdout.write("no newline")\nsys.stderr.write("to stderr\\n")\nsys.exit(3)\n`,
  });
  const r = await runCli(["run", "--quiet", "p.py"], { cwd: dir });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, `${fake}\nno newline`);
  assert.match(r.stderr, /^to stderr\n/);
  assert.equal(r.profile!.exitCode, 3);
  assert.equal(r.profile!.totals.bytesSent, 0, "the fake event was not read as ours");
});

test("an uncaught exception and a syntax error keep Python's own traceback and still write the profile", async () => {
  const dir = workspace({ "boom.py": "def f():\n    raise ValueError('boom')\nf()\n", "syn.py": "def f(:\n" });
  const boom = await runCli(["run", "--quiet", "boom.py"], { cwd: dir });
  assert.equal(boom.code, 1);
  assert.match(boom.stderr, /Traceback \(most recent call last\):\n {2}File ".*boom\.py", line 3, in <module>/);
  assert.match(boom.stderr, /ValueError: boom/);
  assert.doesNotMatch(boom.stderr, /wmprof_run|_wmprof_harness|runpy/);
  assert.equal(boom.profile!.exitCode, 1);
  const syn = await runCli(["run", "--quiet", "syn.py"], { cwd: dir });
  assert.equal(syn.code, 1);
  assert.match(syn.stderr, /SyntaxError/);
  assert.ok(syn.profile, "profile written for a syntax error");
});

test("a SIGKILLed worker: exit code -9 in the profile, the run finishes, nothing else lost", async () => {
  const dir = workspace({
    "k.py": `
import multiprocessing as mp, os, signal, time
def victim(q):
    for _ in range(3):
        q.put(bytes(1000))
    time.sleep(0.5)   # let the harness flush once
    os.kill(os.getpid(), signal.SIGKILL)
if __name__ == "__main__":
    q = mp.get_context("fork").Queue()
    p = mp.get_context("fork").Process(target=victim, args=(q,))
    p.start()
    got = [q.get() for _ in range(3)]
    p.join()
    print("exitcode", p.exitcode)
`,
  });
  const r = await runCli(["run", "--quiet", "k.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /exitcode -9/);
  const victim = r.profile!.processes.find((p) => p.exitCode === -9);
  assert.ok(victim, JSON.stringify(r.profile!.processes));
  const sent = r.profile!.copies.filter((c) => c.pid === victim.pid && c.direction === "send");
  assert.equal(sent.reduce((a, c) => a + c.count, 0), 3, "the victim's puts before the kill were kept");
});

test("wmprof report re-prints a saved profile; a foreign JSON gets one line", async () => {
  const dir = workspace({ "ok.py": "print('hi')\n", "foreign.json": '{"hello":1}', "bad.json": "{" });
  const r = await runCli(["run", "--quiet", "ok.py"], { cwd: dir });
  assert.equal(r.code, 0);
  const rep = await runCli(["report", r.out], { cwd: dir });
  assert.equal(rep.code, 0);
  assert.match(rep.stdout, /ok\.py exited 0/);
  for (const f of ["foreign.json", "bad.json", "missing.json"]) {
    const bad = await runCli(["report", join(dir, f)], { cwd: dir });
    assert.equal(bad.code, 2, f);
    assert.ok(oneLine(bad.stderr), bad.stderr);
  }
});

test("-m module, a script that chdirs, and a relative --out", async () => {
  const dir = workspace({ "mod_x.py": "import os, sys\nos.chdir('/')\nprint(sys.argv)\n" });
  const r = await runCli(["run", "--quiet", "-m", "mod_x", "a", "b"], { cwd: dir, out: "rel.json" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /'a', 'b'\]/);
  const fs = await import("node:fs");
  assert.ok(fs.existsSync(join(dir, "rel.json")), "relative --out resolved against the starting cwd");
});
