/**
 * End-to-end: the packaged extension in real VS Code (code-server 4.100.3) in Chromium, profiling
 * real Python worker scripts. Numbers come from ground truth the fixture scripts write themselves.
 * Run with `npm run test:e2e` (which runs test/e2e/setup.mjs and `npm run package` first).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FrameLocator } from "playwright-core";
import { readProfileFile } from "../../src/core/profileFile";
import { formatBytes, formatCount } from "../../src/core/view/format";
import type { Profile } from "../../src/protocol/profile";
import { ARTIFACTS, checkPrerequisites, LONG, processesWithMarker, ROOT, waitFor, Workbench } from "./rig";

const FIXTURES = join(__dirname, "fixtures");
const MARKER = `WMPROF_E2E_MARK_${process.pid}_${Date.now()}`;

/** A fresh workspace with the fixture scripts and a marker in every profiled process's environment. */
function makeWorkspace(name: string, settings: Record<string, unknown>): string {
  const ws = mkdtempSync(join(tmpdir(), `wmprof-e2e-ws-${name}-`));
  for (const f of readdirSync(FIXTURES)) if (/\.(py|mjs)$/.test(f)) copyFileSync(join(FIXTURES, f), join(ws, f));
  mkdirSync(join(ws, ".vscode"));
  writeFileSync(join(ws, ".vscode", "settings.json"), JSON.stringify(settings, null, 2));
  return ws;
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function putLine(script: string, marker = "# PUT_LINE"): number {
  return readFileSync(script, "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
}

/**
 * Canvases in the panel that plot data: at least one saturated pixel. Axes, grid lines and tick
 * labels are grey; datasets use the theme's --vscode-charts-* colours.
 */
async function chartsWithData(view: FrameLocator): Promise<number> {
  return view.locator("canvas").evaluateAll((canvases) =>
    canvases.filter((c) => {
      const canvas = c as HTMLCanvasElement;
      if (!canvas.width || !canvas.height) return false;
      const data = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
      if (!data) return false;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 80) return true;
      }
      return false;
    }).length,
  );
}

async function totalText(view: FrameLocator, id: string): Promise<string> {
  return ((await view.locator(`[data-total="${id}"]`).textContent({ timeout: 5_000 })) ?? "").trim();
}

describe("Worker Memory in VS Code (code-server)", { timeout: 30 * 60_000 }, () => {
  const wb = new Workbench("main");
  let ws = "";
  let saved: Profile;
  let savedPath = "";
  let cliDir = "";

  before(async () => {
    checkPrerequisites();
    ws = makeWorkspace("main", { "workerMemory.env": { [MARKER]: "1" } });
    // A saved profile made by the CLI (same core), for Open Profile, from a copy of the fixture
    // (the script writes its ground truth next to itself).
    cliDir = mkdtempSync(join(tmpdir(), "wmprof-e2e-cli-"));
    copyFileSync(join(FIXTURES, "queue_copy.py"), join(cliDir, "queue_copy.py"));
    savedPath = join(cliDir, "saved.wmprof.json");
    const cli = spawnSync(process.execPath, [join(ROOT, "dist", "cli.js"), "run", "--quiet", "--out", savedPath, "queue_copy.py"], {
      encoding: "utf8",
      cwd: cliDir,
      timeout: LONG,
    });
    assert.equal(cli.status, 0, `wmprof run failed: ${cli.stderr}`);
    saved = readProfileFile(savedPath);
    const cliTruth = JSON.parse(readFileSync(join(cliDir, "ground_truth.json"), "utf8")) as { bytes: number };
    assert.equal(saved.totals.bytesSent, cliTruth.bytes, "the CLI's profile of the fixture is wrong: fix the core/harness before the e2e suite");
    await wb.start(ws, { disableTrust: true });
  });

  after(async () => {
    if (process.env.WMPROF_E2E_KEEP) console.log(`code-server log:\n${wb.log}`);
    await wb.stop();
    if (!process.env.WMPROF_E2E_KEEP) for (const d of [ws, cliDir]) if (d) rmSync(d, { recursive: true, force: true });
    // Whatever happened above, nothing we started may outlive the suite.
    for (const pid of processesWithMarker(MARKER)) process.kill(pid, "SIGKILL");
  });

  it("Open Profile… renders a saved profile: totals and drawn charts", () =>
    wb.step("open-profile", async () => {
      await wb.runCommand("Worker Memory: Open Profile…");
      await wb.answerFileDialog(savedPath);
      const view = wb.webview();
      const expected = formatBytes(saved.totals.bytesSent);
      await waitFor(`the panel to show ${expected} sent`, async () => (await totalText(view, "sent")) === expected || undefined);
      assert.equal(await totalText(view, "processes"), formatCount(saved.totals.processes));
      await waitFor("charts with data", async () => (await chartsWithData(view)) >= 2 || undefined);
      await wb.screenshot("open-profile");
    }));

  it("Profile Current File runs the script: panel totals, drawn charts, a hint at the put() line", () =>
    wb.step("profile-current-file", async () => {
      const script = join(ws, "queue_copy.py");
      await wb.openFile("queue_copy.py");
      await wb.runCommand("Worker Memory: Profile Current File");
      const view = wb.webview();
      await waitFor("the run to complete", async () => ((await view.locator("#wm-status-badge").textContent({ timeout: 5_000 })) === "Complete") || undefined);
      const truth = JSON.parse(readFileSync(join(ws, "ground_truth.json"), "utf8")) as { puts: number; pickled: number; bytes: number };
      // The script's own figure: N puts of `pickled` bytes, all through the queue.
      await waitFor(`${formatBytes(truth.bytes)} sent`, async () => (await totalText(view, "sent")) === formatBytes(truth.bytes) || undefined);
      const siteRow = view.locator("#wm-sites-table tbody tr", { hasText: `queue_copy.py:${putLine(script)}` }).filter({ hasText: "send" });
      await siteRow.first().waitFor({ state: "visible" });
      assert.match(await siteRow.first().innerText(), new RegExp(`\\b${formatCount(truth.puts)}\\b`));
      await waitFor("charts with data", async () => (await chartsWithData(view)) >= 2 || undefined);
      await wb.screenshot("profile-current-file");

      // The editor hint, rendered by VS Code as injected text after the put() line.
      await wb.openFile("queue_copy.py");
      const hint = `⇄ ${formatBytes(truth.bytes)} pickled · ${formatCount(truth.puts)} puts · queue`;
      const text = await waitFor(`the hint "${hint}"`, async () => {
        const t = await wb.editorText();
        return t.includes(hint) ? t : undefined;
      });
      const hintLine = text.split("\n").find((l) => l.includes(hint)) ?? "";
      assert.match(hintLine, /q\.put\(payload\)/, "the hint is on the put() line");
      await wb.screenshot("editor-hint");
      // The README's picture: script with its hint next to the panel, without the side bar.
      await wb.runCommand("View: Toggle Primary Side Bar Visibility");
      await wb.page.mouse.move(5, 500);
      const shot = await wb.screenshot("profile-current-file-readme");
      // Refreshed only on request, so that a test run does not dirty a committed file.
      const readmeImage = join(ROOT, "docs", "images", "panel.png");
      if (!existsSync(readmeImage) || process.env.WMPROF_UPDATE_DOCS_IMAGES) {
        mkdirSync(join(ROOT, "docs", "images"), { recursive: true });
        copyFileSync(shot, readmeImage);
      }
      await wb.runCommand("View: Toggle Primary Side Bar Visibility");
      await wb.explorerItem("queue_copy.py").waitFor({ state: "visible" });

      // 10 messages of 1.2 MB through one queue: a large-queue-payloads finding in the Problems panel.
      await wb.runCommand("Focus on Problems View");
      const problem = wb.page.locator(".markers-panel .monaco-list-row", { hasText: "Worker Memory" });
      await problem.first().waitFor({ state: "visible" });
      assert.match(await problem.first().innerText(), /large-queue-payloads/);
      await wb.screenshot("problems");

      await wb.runCommand("Worker Memory: Clear Hints");
      await waitFor("the hint to disappear", async () => !(await wb.editorText()).includes("⇄") || undefined);
      await waitFor("the finding to leave the Problems panel", async () => (await problem.count()) === 0 || undefined);
      await wb.runCommand("View: Hide Panel");
    }));

  it("Profile Current File on a Node.js script: structured-clone bytes of postMessage and drawn charts", () =>
    wb.step("profile-node-file", async () => {
      await wb.openFile("post_copies.mjs");
      await wb.runCommand("Worker Memory: Profile Current File");
      const view = wb.webview();
      // The panel still shows the previous run until this one reports: wait for this run's own truth.
      const truthFile = join(ws, "node_ground_truth.json");
      await waitFor("the script's ground truth", () => existsSync(truthFile) || undefined);
      const truth = JSON.parse(readFileSync(truthFile, "utf8")) as { posts: number; bytes: number };
      await waitFor(`${formatBytes(truth.bytes)} sent`, async () => (await totalText(view, "sent")) === formatBytes(truth.bytes) || undefined);
      const siteRow = view.locator("#wm-sites-table tbody tr", { hasText: `post_copies.mjs:${putLine(join(ws, "post_copies.mjs"), "// POST_LINE")}` });
      await siteRow.first().waitFor({ state: "visible" });
      assert.match(await siteRow.first().innerText(), /message-port/);
      await waitFor("charts with data", async () => (await chartsWithData(view)) >= 1 || undefined);
      await wb.screenshot("profile-node-file");
    }));

  it("Stop (status-bar item) ends a long-running script and leaves no process behind", () =>
    wb.step("stop", async () => {
      await wb.openFile("long_run.py");
      // This time through the editor-title button rather than the palette.
      await wb.page.locator('.editor-group-container.active .editor-actions [aria-label*="Profile Current File"]').first().click();
      // main + 3 spinning workers, all carrying the marker from workerMemory.env.
      await waitFor("the script and its workers to run", () => processesWithMarker(MARKER).length >= 4 || undefined);
      const item = wb.statusItem(/copied/);
      await waitFor("the status bar to show the live run", async () => /\d+ process(es)? · .* copied/.test((await item.first().innerText({ timeout: 5_000 })) ?? "") || undefined);
      await wb.screenshot("long-run-live");
      await item.first().click();
      await waitFor("every process of the run to end", () => processesWithMarker(MARKER).length === 0 || undefined);
      const view = wb.webview();
      await waitFor("the panel to show the stopped run", async () => {
        const badge = (await view.locator("#wm-status-badge").textContent({ timeout: 5_000 })) ?? "";
        return badge.startsWith("Exited") || undefined;
      });
      await waitFor("the status-bar item to go away", async () => (await item.count()) === 0 || undefined);
      await wb.screenshot("long-run-stopped");
    }));

  it("Stop in the panel ends the run too", () =>
    wb.step("panel-stop", async () => {
      await wb.openFile("long_run.py");
      await wb.runCommand("Worker Memory: Profile Current File");
      await waitFor("the script and its workers to run", () => processesWithMarker(MARKER).length >= 4 || undefined);
      const stop = wb.webview().locator("#wm-stop");
      await stop.waitFor({ state: "visible" });
      await stop.click();
      await waitFor("every process of the run to end", () => processesWithMarker(MARKER).length === 0 || undefined);
      await waitFor("the panel to show the stopped run", async () => {
        const badge = (await wb.webview().locator("#wm-status-badge").textContent({ timeout: 5_000 })) ?? "";
        return badge.startsWith("Exited") || undefined;
      });
    }));

  it("Export Profile… writes the last run as wmprof/1 JSON", () =>
    wb.step("export", async () => {
      const out = join(ws, "exported.wmprof.json");
      await wb.runCommand("Worker Memory: Export Profile…");
      await wb.answerFileDialog(out);
      await waitFor("the exported file", () => existsSync(out) || undefined);
      const p = readProfileFile(out);
      assert.match(p.command[0] ?? "", /long_run\.py$/);
      assert.ok(p.processes.length >= 4, `expected the main process and 3 workers, got ${p.processes.length}`);
    }));

  // It kills the extension host: the tests after it run in the reloaded window.
  it("the extension host killed mid-run: the watchdog ends the run, the next host offers the recovered profile", () =>
    wb.step("host-killed", async () => {
      await wb.openFile("long_run.py");
      // Retry the command until the run starts (a settings change of an earlier test may still be
      // on its way to the extension host).
      const pids = await waitFor("the script and its workers to run", async () => {
        await wb.runCommand("Worker Memory: Profile Current File");
        const four = () => {
          const p = processesWithMarker(MARKER);
          return p.length >= 4 ? p : undefined;
        };
        return waitFor("4 processes of the run", four, 20_000).catch(() => undefined);
      });
      // The script's main process is the one whose parent is not part of the run: the extension host.
      const host = pids.map(parentPid).find((pp) => pp !== undefined && !pids.includes(pp));
      assert.ok(host, "the script's parent");
      assert.match(readFileSync(`/proc/${host}/cmdline`, "utf8"), /extensionHost/, "the script's parent is the extension host");
      process.kill(host, "SIGKILL");
      await waitFor("every process of the run to end", () => processesWithMarker(MARKER).length === 0 || undefined);

      // A new extension host (the window reloaded) offers what the run measured.
      await wb.page.reload();
      await wb.page.locator(".part.statusbar").waitFor({ state: "visible" });
      await wb.openFile("queue_copy.py"); // a Python file activates the extension
      const offer = wb.notification(/was interrupted when the extension host stopped/);
      await offer.first().waitFor({ state: "visible" });
      await wb.screenshot("host-killed-offer");
      await offer.first().locator(".monaco-button", { hasText: "Open Recovered Profile" }).click();
      const view = wb.webview();
      await waitFor("the recovered profile's processes", async () => Number(await totalText(view, "processes")) >= 4 || undefined);
      assert.notEqual(await totalText(view, "sent"), formatBytes(0), "the queue traffic measured before the host died");
    }));

  it("a missing interpreter gets an actionable error with a button that opens the setting", () =>
    wb.step("missing-interpreter", async () => {
      const settings = join(ws, ".vscode", "settings.json");
      const before = readFileSync(settings, "utf8");
      const bogus = join(ws, "no-such-python");
      writeFileSync(settings, JSON.stringify({ ...JSON.parse(before), "workerMemory.pythonPath": bogus }, null, 2));
      try {
        await wb.openFile("queue_copy.py");
        const error = wb.notification(/No Python 3\.8\+ interpreter found/);
        // The settings file change reaches the extension host asynchronously: retry the command.
        await waitFor("the interpreter error", async () => {
          await wb.runCommand("Worker Memory: Profile Current File");
          await error.first().waitFor({ state: "visible", timeout: 15_000 });
          return true;
        });
        assert.match(await error.first().innerText(), new RegExp(bogus.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
        await wb.screenshot("missing-interpreter");
        await error.first().locator(".monaco-button", { hasText: "Open Setting" }).click();
        await wb.page.locator(".settings-editor .setting-item-contents", { hasText: "Python Path" }).first().waitFor({ state: "visible" });
      } finally {
        writeFileSync(settings, before);
      }
    }));

});

describe("Worker Memory in Restricted Mode (Workspace Trust on)", { timeout: 20 * 60_000 }, () => {
  const wb = new Workbench("trust");
  let ws = "";
  const marker = `${MARKER}_TRUST`;

  before(async () => {
    checkPrerequisites();
    ws = makeWorkspace("trust", {});
    // User-level settings (workspace values of workerMemory.env are ignored in Restricted Mode).
    await wb.start(ws, { disableTrust: false, settings: { "workerMemory.env": { [marker]: "1" } } });
  });

  after(async () => {
    await wb.stop();
    if (ws) rmSync(ws, { recursive: true, force: true });
    for (const pid of processesWithMarker(marker)) process.kill(pid, "SIGKILL");
  });

  it("Profile Current File refuses, says why, and runs nothing", () =>
    wb.step("restricted-mode", async () => {
      await wb.page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({ state: "visible" });
      await wb.openFile("must_not_run.py");
      await wb.runCommand("Worker Memory: Profile Current File");
      await wb.notification(/Restricted Mode/).first().waitFor({ state: "visible" });
      await wb.screenshot("restricted-mode");
      // The Explorer's context-menu entry goes through the same check.
      await wb.page.locator(".notifications-toasts .notification-toast .codicon-notifications-clear").first().click().catch(() => undefined);
      await wb.explorerMenu("must_not_run.py", "Profile Current File");
      await wb.notification(/Restricted Mode/).first().waitFor({ state: "visible" });
      // Give a (wrongly) started script every chance to show itself before concluding it never ran.
      await new Promise((r) => setTimeout(r, 5_000));
      assert.equal(existsSync(join(ws, "RAN.txt")), false, "the script ran in an untrusted workspace");
      assert.deepEqual(processesWithMarker(marker), []);
      assert.equal(existsSync(ARTIFACTS), true);
    }));
});
