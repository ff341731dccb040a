// Idempotent setup for the end-to-end suite: installs code-server into .vscode-test/code-server
// (never into the project's dependencies) and checks the system tools the suite needs.
// Every step is skipped when its result is already there; every failure is one actionable line.
//
//   node test/e2e/setup.mjs            # install / verify
//   node test/e2e/setup.mjs --print    # print the code-server binary path (after setup)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CODE_SERVER_VERSION = "4.100.3";
// code-server 4.100.3 pins @vscode/ripgrep 1.15.11, whose postinstall downloads rg 13.0.0-10 from GitHub.
const RIPGREP_PKG_VERSION = "1.15.11";
const RIPGREP_ASSET = "ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz";
export const CHROMIUM = process.env.WMPROF_CHROMIUM ?? "/usr/bin/chromium";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CACHE_DIR = join(root, ".vscode-test", "code-server");
export const CODE_SERVER_BIN = join(CACHE_DIR, "node_modules", "code-server", "out", "node", "entry.js");

function fail(msg) {
  console.error(`e2e setup: ${msg}`);
  process.exit(1);
}

function which(cmd) {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return null;
}

function installedVersion() {
  const pj = join(CACHE_DIR, "node_modules", "code-server", "package.json");
  if (!existsSync(pj) || !existsSync(CODE_SERVER_BIN)) return null;
  // A half-finished install leaves package.json but no vscode build; check both.
  if (!existsSync(join(CACHE_DIR, "node_modules", "code-server", "lib", "vscode", "out"))) return null;
  try {
    return JSON.parse(readFileSync(pj, "utf8")).version;
  } catch {
    return null;
  }
}

function seedRipgrepCache() {
  const cacheDir = join(tmpdir(), `vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}`);
  const tarball = join(cacheDir, RIPGREP_ASSET);
  if (existsSync(tarball)) return;
  const rg = which("rg");
  if (!rg) fail("ripgrep is missing: apt-get install -y ripgrep (code-server's @vscode/ripgrep cannot download rg offline)");
  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), "wmprof-rg-"));
  copyFileSync(rg, join(stage, "rg"));
  const r = spawnSync("tar", ["-czf", tarball, "-C", stage, "rg"], { stdio: "inherit" });
  rmSync(stage, { recursive: true, force: true });
  if (r.status !== 0) fail(`could not create ${tarball}`);
  console.log(`e2e setup: seeded ${tarball} from ${rg}`);
}

function installCodeServer() {
  const have = installedVersion();
  if (have === CODE_SERVER_VERSION) return;
  if (have) console.log(`e2e setup: replacing code-server ${have} with ${CODE_SERVER_VERSION}`);
  const major = Number(process.versions.node.split(".")[0]);
  if (major !== 20) console.warn(`e2e setup: code-server ${CODE_SERVER_VERSION} expects Node 20, this is ${process.version}`);
  if (!which("g++") || !which("make")) fail("a C++ toolchain is missing: apt-get install -y build-essential (code-server builds native modules)");
  if (!existsSync("/usr/include/krb5.h") && !existsSync("/usr/include/gssapi/gssapi.h")) {
    fail("Kerberos headers are missing: apt-get install -y libkrb5-dev (code-server's kerberos module)");
  }
  seedRipgrepCache();
  mkdirSync(CACHE_DIR, { recursive: true });
  // A private package.json keeps npm from walking up into the project's own package.json.
  writeFileSync(join(CACHE_DIR, "package.json"), JSON.stringify({ name: "wmprof-e2e-code-server", private: true }, null, 2));
  console.log(`e2e setup: installing code-server@${CODE_SERVER_VERSION} into ${CACHE_DIR} (takes several minutes)`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--no-save", "--package-lock=false", `code-server@${CODE_SERVER_VERSION}`], {
    cwd: CACHE_DIR,
    stdio: "inherit",
    env: { ...process.env, npm_config_yes: "true", npm_config_unsafe_perm: "true" },
  });
  if (r.status !== 0) fail(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status}); see the npm output above`);
  if (installedVersion() !== CODE_SERVER_VERSION) fail(`code-server@${CODE_SERVER_VERSION} installed but ${CODE_SERVER_BIN} or its VS Code build is missing`);
  console.log(`e2e setup: code-server ${CODE_SERVER_VERSION} ready`);
}

function checkTools() {
  if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set WMPROF_CHROMIUM)`);
  if (!which("python3") && !which("python")) fail("no python3 on PATH: the e2e suite profiles real Python scripts");
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  if (process.argv.includes("--print")) {
    console.log(CODE_SERVER_BIN);
  } else {
    checkTools();
    installCodeServer();
  }
}
