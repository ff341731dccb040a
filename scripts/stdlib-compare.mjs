// Runs CPython's own multiprocessing tests plainly and under the wmprof harness runner, parses the
// verbose unittest output, and checks that every test that passes plainly also passes under the
// harness (issue 8). See docs/stdlib-comparison.md for the subsets and the measured results.
//
//   node scripts/stdlib-compare.mjs [--quick | --full] [--python PATH] [--json FILE] [SUITE ...]
//
// --quick (default): a few test classes of test_multiprocessing_spawn (a few minutes on 2 cores).
// --full: test_multiprocessing_spawn, _forkserver, _fork and test_concurrent_futures, whole.
// SUITE arguments replace the suite list (e.g. test_multiprocessing_spawn.test_processes).
// Exit 0 when no plain pass became a non-pass under the harness (after re-running each
// difference alone, both ways, to separate flaky tests from real ones), 1 otherwise.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, delimiter } from "node:path";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const HARNESS = join(ROOT, "harness", "python");
const RUNNER = join(HARNESS, "wmprof_run.py");

// The quick subset: one class per area the harness hooks (Process lifecycle, queues/pipes,
// pools, managers, shared ctypes and SharedMemory, start methods, the resource tracker).
export const QUICK_PATTERNS = [
  "WithProcessesTestProcess",
  "WithProcessesTestQueue",
  "WithProcessesTestConnection",
  "WithProcessesTestPool",
  "WithProcessesTestSharedCTypes",
  "WithProcessesTestSharedMemory",
  "WithManagerTestContainers",
  "TestStartMethod",
  "TestCloseFds",
];
export const QUICK_SUITES = ["test_multiprocessing_spawn.test_processes", "test_multiprocessing_spawn.test_manager", "test_multiprocessing_spawn.test_misc"];
export const FULL_SUITES = ["test_multiprocessing_spawn", "test_multiprocessing_forkserver", "test_multiprocessing_fork", "test_concurrent_futures"];

// Some versions print the test's duration before its status ("... 0.12s ok").
const STATUS = /\.\.\. (?:\d+(?:\.\d+)?s )?(ok|FAIL|ERROR|skipped|expected failure|unexpected success)\b/;
// A skipped test's duration may land at the start of the next test's line ("0.00s test_x (…)").
const HEAD = /^(?:\d+(?:\.\d+)?s )?(test\w*) \(([\w.]+)\)/;

/** Parses `-v` unittest output into Map<testId, status>. Tolerates a docstring line and stray output. */
export function parseVerbose(text) {
  const res = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const h = HEAD.exec(lines[i]);
    if (!h) continue;
    const [, name, paren] = h;
    const id = paren.endsWith("." + name) ? paren : `${paren}.${name}`;
    // The status is on the same line, or a line or two later (docstring, or a child's output).
    for (let j = i; j < Math.min(lines.length, i + 4); j++) {
      const s = STATUS.exec(j === i ? lines[j].slice(h[0].length) : lines[j]);
      if (s) {
        res.set(id, s[1]);
        break;
      }
      if (j > i && HEAD.test(lines[j])) break;
    }
  }
  return res;
}

export function harnessEnv(runDir, base = process.env) {
  const env = { ...base, WMPROF_RUN_DIR: runDir, WMPROF_HARNESS_DIR: HARNESS };
  delete env.WMPROF_TRACEMALLOC;
  env.PYTHONPATH = env.PYTHONPATH ? `${HARNESS}${delimiter}${env.PYTHONPATH}` : HARNESS;
  return env;
}

/** Runs `python -m test SUITES -v [-m P]...`, plain or under the runner. */
export function runSuite({ python, suites, patterns = [], harness, timeoutS = 3600 }) {
  const testArgs = ["test", ...suites, "-v", "--timeout", "600", ...patterns.flatMap((p) => ["-m", p])];
  let runDir;
  let argv;
  let env = { ...process.env };
  delete env.WMPROF_RUN_DIR;
  if (harness) {
    runDir = mkdtempSync(join(tmpdir(), "wmprof-stdlib-"));
    env = harnessEnv(runDir, env);
    argv = [RUNNER, "-m", ...testArgs];
  } else {
    argv = ["-m", ...testArgs];
  }
  return new Promise((done) => {
    const child = spawn(python, argv, { env, stdio: ["ignore", "pipe", "pipe"], cwd: tmpdir() });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(t);
      let logs = 0;
      if (runDir) {
        try {
          logs = readdirSync(runDir).filter((f) => /^events-.*\.ndjson$/.test(f)).length;
        } catch {
          /* gone */
        }
        rmSync(runDir, { recursive: true, force: true });
      }
      const ran = [...out.matchAll(/^Ran (\d+) tests?/gm)].reduce((a, m) => a + Number(m[1]), 0);
      done({ code, signal, out, results: parseVerbose(out), logs, ran });
    });
  });
}

const PASS = new Set(["ok", "expected failure"]);

export function diff(plain, wm) {
  const lost = [];
  const gained = [];
  for (const [id, s] of plain) {
    const w = wm.get(id);
    if (PASS.has(s) && !PASS.has(w ?? "missing")) lost.push({ id, plain: s, harness: w ?? "missing" });
  }
  for (const [id, s] of wm) if (PASS.has(s) && !PASS.has(plain.get(id) ?? "missing")) gained.push({ id, plain: plain.get(id) ?? "missing", harness: s });
  return { lost, gained };
}

function count(m, pred) {
  let n = 0;
  for (const s of m.values()) if (pred(s)) n++;
  return n;
}

export function summary(m) {
  return {
    total: m.size,
    passed: count(m, (s) => PASS.has(s)),
    failed: count(m, (s) => s === "FAIL" || s === "ERROR" || s === "unexpected success"),
    skipped: count(m, (s) => s === "skipped"),
  };
}

/** Re-runs one test alone, plain and under the harness, to tell a flaky test from a real difference. */
async function recheck(python, suites, id) {
  const name = id.split(".").slice(-2).join(".");
  const p = await runSuite({ python, suites, patterns: [name], harness: false, timeoutS: 900 });
  const w = await runSuite({ python, suites, patterns: [name], harness: true, timeoutS: 900 });
  return { plain: p.results.get(id) ?? "missing", harness: w.results.get(id) ?? "missing" };
}

async function main() {
  const argv = process.argv.slice(2);
  let python = "/root/.pyenv/versions/3.13.0/bin/python3";
  let mode = "quick";
  let jsonOut;
  const suitesArg = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") mode = "quick";
    else if (a === "--full") mode = "full";
    else if (a === "--python") python = argv[++i];
    else if (a === "--json") jsonOut = argv[++i];
    else suitesArg.push(a);
  }
  if (!existsSync(python)) {
    console.log(`# skipping: ${python} not found`);
    return 0;
  }
  const suites = suitesArg.length ? suitesArg : mode === "full" ? FULL_SUITES : QUICK_SUITES;
  const patterns = mode === "quick" && !suitesArg.length ? QUICK_PATTERNS : [];
  const report = { python, mode, suites, patterns, runs: [] };
  let bad = 0;
  // One suite at a time so that a crash of one does not hide the others.
  for (const suite of mode === "full" ? suites : [suites]) {
    const s = Array.isArray(suite) ? suite : [suite];
    console.log(`# ${s.join(" ")}: plain …`);
    const plain = await runSuite({ python, suites: s, patterns, harness: false });
    console.log(`#   plain: ${JSON.stringify(summary(plain.results))} (unittest ran ${plain.ran}) exit ${plain.code ?? plain.signal}`);
    console.log(`# ${s.join(" ")}: under the harness …`);
    const wm = await runSuite({ python, suites: s, patterns, harness: true });
    console.log(`#   harness: ${JSON.stringify(summary(wm.results))} (unittest ran ${wm.ran}) exit ${wm.code ?? wm.signal}, ${wm.logs} event logs`);
    const d = diff(plain.results, wm.results);
    const lost = [];
    for (const x of d.lost) {
      const again = await recheck(python, s, x.id);
      const real = PASS.has(again.plain) && !PASS.has(again.harness);
      console.log(`#   ${real ? "DIFFERENCE" : "flaky (passes alone under the harness)"}: ${x.id}: plain ${x.plain}, harness ${x.harness}; alone: plain ${again.plain}, harness ${again.harness}`);
      lost.push({ ...x, alone: again, real });
      if (real) bad++;
    }
    for (const x of d.gained) console.log(`#   (passed only under the harness, flaky plain): ${x.id}: plain ${x.plain}`);
    if (plain.results.size === 0) {
      console.log("#   no test results parsed from the plain run; output tail:\n" + plain.out.slice(-2000));
      bad++;
    }
    // A parser that misses tests would compare a subset and pass: the counts must match unittest's.
    for (const [label, r] of [["plain", plain], ["harness", wm]]) {
      if (r.ran && r.results.size !== r.ran) {
        console.log(`#   ${label}: parsed ${r.results.size} test results but unittest ran ${r.ran}: fix parseVerbose`);
        bad++;
      }
    }
    if (wm.logs === 0) {
      console.log("#   the harness wrote no event log: it did not run");
      bad++;
    }
    report.runs.push({ suites: s, plain: summary(plain.results), harness: summary(wm.results), plainRan: plain.ran, harnessRan: wm.ran, plainExit: plain.code, harnessExit: wm.code, logs: wm.logs, lost, gained: d.gained });
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
  }
  console.log(bad ? `# FAILED: ${bad} difference(s)` : "# OK: every test that passes plainly passes under the harness");
  return bad ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().then((c) => process.exit(c), (e) => {
    console.error(e);
    process.exit(2);
  });
}
