// Runs node's test runner (with tsx for TypeScript) on every *.test.ts under the given folders.
// Node 20's --test does not expand globs, so we list the files ourselves.
//
//   node scripts/run-tests.mjs [node --test flags] [--alongside FILE] DIR...
//
// --alongside FILE runs that test file in its own runner at the same time as the others (for a
// long test that mostly sleeps, e.g. the 10-minute run); its output is printed when it ends, and
// the exit code fails if either run fails.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const alongsideAt = args.indexOf("--alongside");
const alongside = alongsideAt >= 0 ? args.splice(alongsideAt, 2)[1] : undefined;
const flags = args.filter((a) => a.startsWith("--"));
const dirs = args.filter((a) => !a.startsWith("--"));

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const files = dirs.flatMap(collect).filter((f) => !alongside || resolve(f) !== resolve(alongside));
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(", ")}`);
  process.exit(1);
}

/** Resolves with the exit status; `capture` buffers the output instead of streaming it. */
function run(testFiles, capture) {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...flags, ...testFiles], {
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    let out = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    child.on("close", (code) => done({ code: code ?? 1, out }));
  });
}

const [main, side] = await Promise.all([run(files, false), alongside ? run([alongside], true) : undefined]);
if (side) process.stdout.write(`\n# alongside: ${alongside}\n${side.out}`);
process.exit(main.code || side?.code || 0);
