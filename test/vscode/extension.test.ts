// Extension-host suite (mocha, bdd): activation and every command, driven through the real
// VS Code API. Runs in VS Code desktop via @vscode/test-cli (`npm run test:vscode`, downloads
// VS Code) and in code-server's extension host (`npm run test:vscode:server`, offline).
import { strict as assert } from "node:assert";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as vscode from "vscode";
import { CommandId } from "../../src/extension/commandIds";
import { readProfileFile, writeProfileFile } from "../../src/core/profileFile";
import type { Profile } from "../../src/protocol/profile";

const EXTENSION_ID = "wmprof.worker-memory-profiler";
const FIXTURES = resolve(__dirname, "../../../test/e2e/fixtures");

/** A workspace-independent scratch folder with copies of the e2e fixture scripts. */
const scratch = mkdtempSync(join(tmpdir(), "wmprof-vscode-"));
for (const f of readdirSync(FIXTURES)) if (f.endsWith(".py")) copyFileSync(join(FIXTURES, f), join(scratch, f));

function putLine(script: string): number {
  return readFileSync(script, "utf8").split("\n").findIndex((l) => l.includes("# PUT_LINE")) + 1;
}

/** Pids of live processes whose environment contains `marker`. */
function processesWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`).includes(marker)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (stat[stat.lastIndexOf(")") + 2] !== "Z") out.push(Number(name));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith("workerMemory.profile"));
}

describe("Worker Memory Profiler extension", function () {
  this.timeout(180_000);
  let saved: vscode.Uri;
  let truth: { puts: number; pickled: number; bytes: number };

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("is installed and activates through its commands", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    await vscode.commands.executeCommand(CommandId.ClearHints);
    assert.equal(ext.isActive, true);
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of Object.values(CommandId)) assert.ok(all.has(id), `${id} is not registered`);
  });

  it("Profile File… runs a real worker script and returns the bytes it knows it copied", async () => {
    const script = join(scratch, "queue_copy.py");
    const profile = (await vscode.commands.executeCommand(CommandId.ProfileFile, vscode.Uri.file(script), [])) as Profile | undefined;
    assert.ok(profile, "the run did not produce a profile");
    assert.equal(profile.exitCode, 0);
    truth = JSON.parse(readFileSync(join(scratch, "ground_truth.json"), "utf8"));
    const atPut = profile.copies.filter((c) => c.site?.line === putLine(script) && c.channel === "queue" && c.direction === "send");
    assert.equal(atPut.reduce((s, c) => s + c.count, 0), truth.puts);
    assert.equal(atPut.reduce((s, c) => s + c.bytes, 0), truth.bytes);
    await until("the profile panel to open", () => panelTabs().length >= 1);
    // 10 messages of 1.2 MB through a queue: the large-queue-payloads finding, in the Problems panel.
    const diags = vscode.languages.getDiagnostics(vscode.Uri.file(script)).filter((d) => d.source === "Worker Memory");
    const atPutLine = diags.find((d) => d.code === "large-queue-payloads" && d.range.start.line === putLine(script) - 1);
    assert.ok(atPutLine, `no large-queue-payloads diagnostic at line ${putLine(script)}: ${JSON.stringify(diags)}`);
    assert.equal(atPutLine.severity, vscode.DiagnosticSeverity.Warning);
  });

  it("Export Profile… writes the last profile as wmprof/1 JSON", async () => {
    saved = vscode.Uri.file(join(scratch, "queue_copy.wmprof.json"));
    const out = (await vscode.commands.executeCommand(CommandId.ExportProfile, saved)) as vscode.Uri | undefined;
    assert.equal(out?.fsPath, saved.fsPath);
    const p = readProfileFile(saved.fsPath);
    assert.equal(p.schema, "wmprof/1");
    assert.equal(p.totals.bytesSent >= truth.bytes, true);
  });

  it("Open Profile… shows a saved profile and rejects a foreign JSON without throwing", async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const p = (await vscode.commands.executeCommand(CommandId.OpenProfile, saved)) as Profile | undefined;
    assert.ok(p);
    assert.equal(p.totals.messagesSent >= truth.puts, true);
    await until("the profile panel", () => panelTabs().length === 1);

    const foreign = join(scratch, "package.json");
    writeFileSync(foreign, JSON.stringify({ name: "not-a-profile" }));
    assert.equal(await vscode.commands.executeCommand(CommandId.OpenProfile, vscode.Uri.file(foreign)), undefined);
  });

  it("Compare Profiles… accepts two or more saved profiles", async () => {
    const second = vscode.Uri.file(join(scratch, "second.wmprof.json"));
    const p = readProfileFile(saved.fsPath);
    writeProfileFile(second.fsPath, { ...p, command: ["other.py"] });
    const both = (await vscode.commands.executeCommand(CommandId.CompareProfiles, [saved, second])) as Profile[] | undefined;
    assert.equal(both?.length, 2);
    assert.equal(await vscode.commands.executeCommand(CommandId.CompareProfiles, [saved]), undefined);
  });

  it("Stop Profiling ends a long-running script and every process it started", async () => {
    const marker = `WMPROF_VSCODE_MARK_${process.pid}_${Date.now()}`;
    const config = vscode.workspace.getConfiguration("workerMemory");
    await config.update("env", { [marker]: "1" }, vscode.ConfigurationTarget.Global);
    try {
      const run = vscode.commands.executeCommand(CommandId.ProfileFile, vscode.Uri.file(join(scratch, "long_run.py")), []) as Thenable<Profile | undefined>;
      // main + 3 workers + the queue's feeder is a thread, so at least 4 processes.
      await until("the script and its 3 workers", () => processesWithMarker(marker).length >= 4);
      await vscode.commands.executeCommand(CommandId.Stop);
      const profile = await run;
      assert.ok(profile, "a stopped run still yields its profile");
      assert.notEqual(profile.exitCode, 0);
      await until("no process left behind", () => processesWithMarker(marker).length === 0, 30_000);
    } finally {
      await config.update("env", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it("Clear Hints removes the findings from the Problems panel", async () => {
    await vscode.commands.executeCommand(CommandId.ClearHints);
    const ours = vscode.languages.getDiagnostics().flatMap(([, ds]) => ds).filter((d) => d.source === "Worker Memory");
    assert.deepEqual(ours, []);
    assert.ok(existsSync(scratch));
  });
});
