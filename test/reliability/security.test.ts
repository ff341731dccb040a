/**
 * Issue 8, security. The CSP of the rendered report is checked in depth by
 * test/unit/report-html.test.ts (renderer); here: the file the CLI actually writes, the run
 * folder's mode, no listening socket opened by a run, and no environment value in the profile.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { runCli, workspace } from "../support/cli";
import { readProfileText } from "./support";

test("the HTML report written by the CLI: strict CSP, every script nonced or JSON data", async () => {
  const dir = workspace({ "ok.py": "import multiprocessing as mp\nif __name__ == '__main__':\n    with mp.Pool(1) as p: p.map(abs, [1])\n" });
  const r = await runCli(["run", "--quiet", "ok.py"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const html = join(dir, "r.html");
  const rep = await runCli(["report", r.out, "--html", html], { cwd: dir });
  assert.equal(rep.code, 0, rep.stderr);
  const text = readFileSync(html, "utf8");
  const metas = [...text.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
  assert.equal(metas.length, 1);
  const csp = metas[0]![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|https?:|\*/);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce);
  const scripts = [...text.matchAll(/<script\b([^>]*)>/gi)].map((m) => m[1]!);
  assert.ok(scripts.length > 0);
  for (const attrs of scripts) {
    assert.ok(attrs.includes(`nonce="${nonce}"`) || /type="application\/json"/.test(attrs), attrs);
    assert.doesNotMatch(attrs, /\bsrc=/, "no external script");
  }
  assert.doesNotMatch(text, /<(link|img|iframe)\b[^>]*(href|src)="https?:/i, "no remote resource");
});

/** Inodes of TCP/UDP sockets in LISTEN state (TCP st 0A; UDP st 07 = bound). */
function listeningInodes(): Set<string> {
  const out = new Set<string>();
  for (const f of ["tcp", "tcp6", "udp", "udp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${f}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && (cols[3] === "0A" || (f.startsWith("udp") && cols[3] === "07"))) out.add(cols[9]!);
    }
  }
  return out;
}
function socketInodes(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
function pidsWithRunDir(runDir: string): number[] {
  return readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(`WMPROF_RUN_DIR=${runDir}`);
    } catch {
      return false;
    }
  });
}

test("a run: the run folder is 0700, no process of the run (nor the CLI) listens on a socket, env values stay out of the profile", { timeout: 120_000 }, async () => {
  const secret = "s3cr3t-" + Math.random().toString(36).slice(2);
  const dir = workspace({
    "s.py": `
import multiprocessing as mp, os, time
def sq(x): return x * x
if __name__ == "__main__":
    with mp.get_context("spawn").Manager() as m:
        d = m.dict()
        with mp.get_context("forkserver").Pool(2) as p:
            d["r"] = sum(p.map(sq, range(20)))
            with open("ready", "w") as f: f.write(os.environ["WMPROF_RUN_DIR"])
            while not os.path.exists("go"): time.sleep(0.05)
    print(os.environ["MY_SECRET_TOKEN"] == ${JSON.stringify(secret)})
`,
  });
  let cliPid = 0;
  const running = runCli(["run", "--quiet", "s.py"], { cwd: dir, env: { MY_SECRET_TOKEN: secret }, onSpawn: (p) => (cliPid = p) });
  const { existsSync, writeFileSync } = await import("node:fs");
  while (!existsSync(join(dir, "ready"))) await new Promise((r) => setTimeout(r, 50));
  const runDir = readFileSync(join(dir, "ready"), "utf8");
  assert.equal(statSync(runDir).mode & 0o777, 0o700, "run folder is private");
  for (const f of readdirSync(runDir)) assert.equal(statSync(join(runDir, f)).mode & 0o077, 0, `${f} is private`);
  const pids = [cliPid, ...pidsWithRunDir(runDir)];
  assert.ok(pids.length >= 5, `main, manager, forkserver, workers: ${pids.join(",")}`);
  const listening = listeningInodes();
  for (const pid of pids) {
    const open = socketInodes(pid).filter((i) => listening.has(i));
    assert.deepEqual(open, [], `pid ${pid} has a listening TCP/UDP socket`);
  }
  writeFileSync(join(dir, "go"), "");
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "True");
  const profile = readProfileText(r);
  assert.ok(profile.length > 0);
  assert.ok(!profile.includes(secret), "an environment value leaked into the profile");
});
