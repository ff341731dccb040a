/**
 * Issue 8, faults: the script, the profiler or the log dies or misbehaves, and the run survives.
 * No wall-clock thresholds: waits poll for a file or a state, bounded only by the test timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runCli, workspace } from "../support/cli";
import { normalize, runPlain, runWm, scriptStderr } from "./support";

const HARNESS = join(ROOT, "harness", "python");
const RUNNER = join(HARNESS, "wmprof_run.py");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(p: () => boolean): Promise<void> {
  while (!p()) await sleep(50);
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
/** The environment session.ts gives the runner. */
function harnessEnv(runDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, WMPROF_RUN_DIR: runDir, WMPROF_HARNESS_DIR: HARNESS, PYTHONPATH: extra.PYTHONPATH ? `${HARNESS}:${extra.PYTHONPATH}` : HARNESS };
}

const WORK = `
import multiprocessing as mp
def sq(x): return x * x
def work():
    with mp.get_context("spawn").Pool(2) as p:
        print(sum(p.map(sq, range(50))), flush=True)
    q = mp.Queue(); c = mp.get_context("fork").Process(target=q.put, args=([1] * 1000,)); c.start()
    print(len(q.get()), flush=True); c.join(); print("child", c.exitcode, flush=True)
`;

test("the main script SIGKILLed: exit 137, the profile is still written", { timeout: 120_000 }, async () => {
  const dir = workspace({ "k.py": `${WORK}\nif __name__ == "__main__":\n    work()\n    import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)\n` });
  const r = await runWm("python3", ["k.py"], dir);
  assert.equal(r.code, 137, r.stderr);
  assert.ok(r.profile, "profile written");
  assert.equal(r.profile!.exitCode, -9);
  assert.ok(r.profile!.processes.length >= 3, "main and workers are in the profile");
});

test("the profiler SIGKILLed mid-run: the script keeps running, `wmprof recover` rebuilds the profile", { timeout: 180_000 }, async () => {
  const dir = workspace({
    "long.py": `${WORK}
import os, sys, time
if __name__ == "__main__":
    work()
    with open("started", "w") as f: f.write("%d %s" % (os.getpid(), os.environ["WMPROF_RUN_DIR"]))
    while not os.path.exists("go"): time.sleep(0.05)
    work()
    open("finished", "w").close()
`,
  });
  let cliPid = 0;
  const running = runCli(["run", "--quiet", "long.py"], { cwd: dir, onSpawn: (p) => (cliPid = p) });
  await waitFor(() => existsSync(join(dir, "started")));
  const [pid, runDir] = readFileSync(join(dir, "started"), "utf8").split(" ") as [string, string];
  // The run folder is also findable from outside, as the docs say: /proc/<pid>/environ.
  const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  assert.ok(environ.includes(`WMPROF_RUN_DIR=${runDir}`));
  process.kill(cliPid, "SIGKILL");
  await waitFor(() => !alive(cliPid));
  assert.ok(alive(Number(pid)), "the script survived its profiler");
  // (The CLI's stdout pipe is shared with the script, so `running` settles when the script ends.)
  writeFileSync(join(dir, "go"), "");
  const cli = await running;
  assert.equal(cli.signal, "SIGKILL");
  await waitFor(() => existsSync(join(dir, "finished")));
  await waitFor(() => !alive(Number(pid)) || /zombie|\bZ\b/.test(safeStat(pid)));
  assert.ok(existsSync(runDir), "the run folder is kept when the profiler dies");
  const rec = await runCli(["recover", runDir, "--out", join(dir, "rec.json")], { cwd: dir });
  assert.equal(rec.code, 0, rec.stderr);
  const p = JSON.parse(readFileSync(join(dir, "rec.json"), "utf8"));
  assert.equal(p.complete, false);
  assert.ok(p.warnings.some((w: string) => /recovered/.test(w)));
  const main = p.processes.find((x: { role: string }) => x.role === "main");
  assert.equal(main.exitCode, 0, "the main process's bye (after the profiler died) is in the log");
  assert.ok(p.processes.length >= 5, "workers of both phases");
  assert.ok(p.copies.length > 0);
});
/** Live (non-zombie) processes whose environ or command line contains `needle`. */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const hit = ["environ", "cmdline"].some((f) => readFileSync(`/proc/${name}/${f}`).includes(needle));
      if (hit && safeStat(name) !== "Z") out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Starts test/reliability/fixtures/session-host.ts (a run started the way the extension starts it). */
function sessionHost(script: string, cwd: string, mode: "wait" | "finish"): { child: ChildProcess; line: (n: number) => Promise<string>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "session-host.ts"), "python3", script, cwd, mode], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const line = async (n: number): Promise<string> => {
    await waitFor(() => out.split("\n").length > n);
    return out.split("\n")[n - 1]!;
  };
  return { child, line, exited };
}

test("the extension host killed mid-run: its watchdog ends every process of the run, the run folder is kept for recover", { timeout: 180_000 }, async () => {
  const dir = workspace({
    "hosted.py": `${WORK}
import os, signal, time, multiprocessing as mp
def stubborn():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only SIGTERM/SIGKILL end it
    while True: time.sleep(0.05)
if __name__ == "__main__":
    work()
    mp.get_context("fork").Process(target=stubborn).start()
    open("started", "w").close()
    while True: time.sleep(0.05)
`,
  });
  const host = sessionHost(join(dir, "hosted.py"), dir, "wait");
  const [root, runDir] = (await host.line(1)).split(" ") as [string, string];
  await waitFor(() => existsSync(join(dir, "started")));
  const marker = `WMPROF_RUN_DIR=${runDir}`;
  assert.ok(processesWith(marker).length >= 2, "the script and its stubborn child run");
  const watchdogs = processesWith(runDir).filter((p) => readFileSync(`/proc/${p}/cmdline`, "utf8").includes("watchdog.js"));
  assert.equal(watchdogs.length, 1, "one watchdog guards the run");
  host.child.kill("SIGKILL");
  await waitFor(() => processesWith(marker).length === 0 && !alive(Number(root)));
  await waitFor(() => watchdogs.every((p) => !alive(p) || safeStat(String(p)) === "Z"));
  assert.ok(existsSync(runDir), "the run folder is kept when the host dies");
  const rec = await runCli(["recover", runDir, "--out", join(dir, "rec.json")], { cwd: dir });
  assert.equal(rec.code, 0, rec.stderr);
  const p = JSON.parse(readFileSync(join(dir, "rec.json"), "utf8"));
  assert.equal(p.complete, false);
  assert.ok(p.processes.length >= 5, "main, pool workers, the queue child and the stubborn child");
  assert.ok(p.copies.length > 0, "what was measured before the host died is in the profile");
});

test("a run the extension finishes normally: the watchdog exits and touches nothing", { timeout: 120_000 }, async () => {
  const dir = workspace({ "quick.py": `${WORK}
if __name__ == "__main__":
    work()
` });
  const host = sessionHost(join(dir, "quick.py"), dir, "finish");
  const [, runDir] = (await host.line(1)).split(" ") as [string, string];
  assert.equal(await host.line(2), "done 0");
  await waitFor(() => processesWith(runDir).length === 0);
  await host.exited;
});

function safeStat(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] ?? "";
  } catch {
    return "Z";
  }
}

test("an unwritable run folder: the script runs unharmed (runner with WMPROF_RUN_DIR=/proc)", { timeout: 120_000 }, async () => {
  const dir = workspace({ "w.py": `${WORK}\nif __name__ == "__main__":\n    work()\n` });
  const plain = await runPlain("python3", [join(dir, "w.py")], dir);
  const r = spawnSync("python3", [RUNNER, join(dir, "w.py")], { cwd: dir, env: harnessEnv("/proc"), encoding: "utf8" });
  assert.equal(r.status, plain.code);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(normalize(r.stderr), normalize(plain.stderr));
});

test("the log hits RLIMIT_FSIZE mid-run: the script runs unharmed and the profile warns", { timeout: 120_000 }, async () => {
  const src = `${WORK}
import resource
if __name__ == "__main__":
    work()
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    work()
`;
  const dir = workspace({ "f.py": src });
  const plain = await runPlain("python3", [join(dir, "f.py")], dir);
  const r = await runWm("python3", [join(dir, "f.py")], dir);
  assert.equal(r.code, plain.code, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(normalize(scriptStderr(r.stderr)), normalize(plain.stderr));
  assert.ok(r.profile, "the CLI (not under the limit) wrote the profile");
  assert.ok(r.profile!.warnings.some((w) => /could not be written/.test(w)), JSON.stringify(r.profile!.warnings));
});

test("scripts that close every fd, daemonize with setsid, or bring their own sitecustomize", { timeout: 180_000 }, async () => {
  const user = workspace({ "sitecustomize.py": "import sys\nsys.stderr.write('user sitecustomize\\n')\n" });
  const dir = workspace({
    "closefds.py": `${WORK}\nimport os\nif __name__ == "__main__":\n    os.closerange(3, 1024)\n    work()\n`,
    "daemon.py": `${WORK}
import os, sys, time
if __name__ == "__main__":
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.closerange(3, 1024)
            work()
            with open("daemon-done", "w") as f: f.write("ok")
        os._exit(0)
    print("parent leaves", flush=True)
`,
    "site.py": `${WORK}\nif __name__ == "__main__":\n    work()\n`,
  });
  for (const name of ["closefds.py", "site.py"]) {
    const env = name === "site.py" ? { PYTHONPATH: user } : {};
    const plain = await runPlain("python3", [join(dir, name)], dir, env);
    const r = await runWm("python3", [join(dir, name)], dir, env);
    assert.equal(r.code, plain.code, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, plain.stdout, name);
    // `with Pool()` terminates a spawn worker that may still be starting, so how many processes
    // got as far as printing from the user's sitecustomize is a race, with or without the harness.
    const userSite = /^user sitecustomize\n/gm;
    assert.equal(normalize(scriptStderr(r.stderr)).replace(userSite, ""), normalize(plain.stderr).replace(userSite, ""), name);
    if (name === "site.py") assert.match(r.stderr, /^user sitecustomize$/m, "the user's own sitecustomize still runs");
    assert.ok(r.profile!.processes.length >= 4, `${name}: workers still profiled`);
    assert.ok(r.profile!.copies.length > 0, `${name}: copies still counted after the fds were closed`);
  }
  const r = await runWm("python3", [join(dir, "daemon.py")], dir);
  assert.equal(r.code, 0, r.stderr);
  await waitFor(() => existsSync(join(dir, "daemon-done")));
  assert.match(r.stdout, /parent leaves/);
});

test("python -I and -E: the runner still profiles and the script sees the same thing", { timeout: 120_000 }, async () => {
  const dir = workspace({ "iso.py": `${WORK}\nimport sys\nif __name__ == "__main__":\n    print(sys.flags.isolated, sys.flags.ignore_environment, sys.path[0] == '' )\n    work()\n` });
  for (const flag of ["-I", "-E"]) {
    const runDir = workspace();
    const plain = await runPlain("python3", [flag, join(dir, "iso.py")], dir);
    const r = spawnSync("python3", [flag, RUNNER, join(dir, "iso.py")], { cwd: dir, env: harnessEnv(runDir), encoding: "utf8" });
    assert.equal(r.status, plain.code, r.stderr);
    assert.equal(r.stdout, plain.stdout, flag);
    assert.equal(normalize(r.stderr), normalize(plain.stderr), flag);
    const logs = readdirSync(runDir).filter((f) => /^events-.*\.ndjson$/.test(f));
    assert.ok(logs.length >= 4, `${flag}: main, pool workers and the fork child wrote logs (${logs.join(",")})`);
  }
});

test("paths with spaces, quotes, non-ASCII and non-UTF-8 bytes in the folder and script name", { timeout: 180_000 }, async () => {
  const base = workspace();
  const odd = join(base, `we ird "q" 'x' ñ 名`);
  mkdirSync(odd);
  const script = join(odd, "my script ü.py");
  writeFileSync(script, `${WORK}\nimport sys\nif __name__ == "__main__":\n    print(sys.argv[1:], __file__ == sys.argv[0])\n    work()\n`);
  const plain = await runPlain("python3", [script, "a b", "ü"], odd);
  const r = await runWm("python3", [script, "a b", "ü"], odd);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.ok(r.profile!.processes.length >= 4);
  // Non-UTF-8 bytes cannot go through Node's string argv; a Python driver passes them as bytes,
  // exactly as session.ts would (runner + script path + env), and compares with the plain run.
  const driver = join(base, "driver.py");
  writeFileSync(driver, `
import os, subprocess, sys
base = os.fsencode(sys.argv[1]); runner = sys.argv[2]; harness = sys.argv[3]
d = os.path.join(base, b"bad \\xff\\xfe dir"); os.mkdir(d)
s = os.path.join(d, b"s\\xe9 \\x80.py")
with open(s, "wb") as f: f.write(${JSON.stringify(WORK)}.encode() + b"\\nif __name__ == '__main__':\\n    work()\\n")
run = os.path.join(base, b"run"); os.mkdir(run, 0o700)
env = dict(os.environ, WMPROF_RUN_DIR=os.fsdecode(run), WMPROF_HARNESS_DIR=harness, PYTHONPATH=harness)
p = subprocess.run([sys.executable, s], cwd=d, capture_output=True)
w = subprocess.run([sys.executable, runner, s], cwd=d, env=env, capture_output=True)
logs = [n for n in os.listdir(run) if n.endswith(b".ndjson")]
print(p.returncode, w.returncode, p.stdout == w.stdout, p.stderr == w.stderr, len(logs) >= 4)
`);
  const d = spawnSync("python3", [driver, base, RUNNER, HARNESS], { encoding: "utf8" });
  assert.equal(d.stdout.trim(), "0 0 True True True", d.stderr);
  assert.ok(statSync(base).isDirectory());
});

test("recover on crafted run folders: truncated, malformed, and a 100 MB line", { timeout: 180_000 }, async () => {
  const dir = workspace({ "ok.py": `${WORK}\nif __name__ == "__main__":\n    work()\n` });
  const r = await runCli(["run", "--quiet", "--keep-run-dir", "ok.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const runDir = /event logs kept in (.*)$/m.exec(r.stderr)?.[1];
  assert.ok(runDir && existsSync(runDir), r.stderr);
  const good = spawnSync(process.execPath, [join(ROOT, "dist", "cli.js"), "recover", runDir, "--out", join(dir, "good.json")], { encoding: "utf8" });
  assert.equal(good.status, 0, good.stderr);
  const goodP = JSON.parse(readFileSync(join(dir, "good.json"), "utf8"));
  const logs = readdirSync(runDir).filter((f) => f.endsWith(".ndjson"));
  const mainLog = logs.map((f) => join(runDir, f)).find((f) => readFileSync(f, "utf8").includes('"role":"main"'))!;
  const text = readFileSync(mainLog, "utf8");
  // 1. Truncated mid-line.
  writeFileSync(mainLog, text.slice(0, Math.floor(text.length * 0.6)));
  // 2. Malformed lines and binary junk in another log.
  const other = join(runDir, logs.find((f) => join(runDir, f) !== mainLog)!);
  writeFileSync(other, readFileSync(other, "utf8") + "{not json\n\u0000\u00ff\xfe garbage\n{\"e\":\"copy\",\"pid\":\"x\"}\n[1,2,3]\n");
  // 3. A 100 MB line (no newline inside), then a valid line after it.
  const big = join(runDir, "events-999999.ndjson");
  const line = Buffer.alloc(100 * 1024 * 1024, 0x61);
  line[0] = 0x7b;
  writeFileSync(big, Buffer.concat([line, Buffer.from("\n" + text.split("\n")[0]!.replace(/"pid":\d+/, '"pid":999999') + "\n")]));
  const rec = spawnSync(process.execPath, [join(ROOT, "dist", "cli.js"), "recover", runDir, "--out", join(dir, "rec.json")], { encoding: "utf8" });
  assert.equal(rec.status, 0, rec.stderr);
  const p = JSON.parse(readFileSync(join(dir, "rec.json"), "utf8"));
  assert.equal(p.complete, false);
  assert.ok(p.stats.malformedLines >= 3, JSON.stringify(p.stats));
  assert.ok(p.warnings.some((w: string) => /oversized/.test(w)), JSON.stringify(p.warnings));
  assert.ok(p.processes.length >= goodP.processes.length - 1, "every process with a readable log is still there");
  assert.ok(p.processes.some((x: { pid: number }) => x.pid === 999999), "the line after the 100 MB one was read");
});

