// The manifest and the code must agree: every command id in the enum is contributed (with the
// "Worker Memory" category), every menu entry points at a real command, every setting is parsed.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CommandId, PANEL_VIEW_TYPE } from "../../src/extension/commandIds";
import { CONFIG_SECTION, parseSettings } from "../../src/extension/settings";

const pkg = JSON.parse(readFileSync(join(__dirname, "../../package.json"), "utf8"));

describe("extension manifest", () => {
  it("contributes exactly the commands of the enum, all in the Worker Memory category", () => {
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(contributed, Object.values(CommandId).sort());
    for (const c of pkg.contributes.commands) assert.equal(c.category, "Worker Memory", c.command);
  });

  it("menus only name contributed commands", () => {
    const ids = new Set<string>(Object.values(CommandId));
    for (const [menu, entries] of Object.entries(pkg.contributes.menus as Record<string, { command: string }[]>)) {
      for (const e of entries) assert.ok(ids.has(e.command), `${menu}: ${e.command}`);
    }
  });

  it("activates on commands implicitly, on panel restore and with a Python file (to offer an interrupted run), never at startup", () => {
    assert.deepEqual(pkg.activationEvents, [`onWebviewPanel:${PANEL_VIEW_TYPE}`, "onLanguage:python"]);
    assert.equal(pkg.main, "./dist/extension.js");
  });

  it("targets VS Code 1.100 or older (code-server 4.100.3 in the e2e suite)", () => {
    const m = /^\^?(\d+)\.(\d+)\./.exec(pkg.engines.vscode);
    assert.ok(m, pkg.engines.vscode);
    assert.ok(Number(m[1]) === 1 && Number(m[2]) <= 100, pkg.engines.vscode);
    const types = /(\d+)\.(\d+)/.exec(pkg.devDependencies["@types/vscode"]);
    assert.ok(types && Number(types[2]) <= Number(m[2]), "@types/vscode must not be newer than engines.vscode");
  });

  it("declares limited support for untrusted workspaces, restricting the settings that choose what runs", () => {
    const u = pkg.capabilities.untrustedWorkspaces;
    assert.equal(u.supported, "limited");
    assert.ok(u.description.length > 20);
    assert.ok(u.restrictedConfigurations.includes(`${CONFIG_SECTION}.pythonPath`));
  });

  it("every contributed setting is one the config module reads", () => {
    const keys = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(`${CONFIG_SECTION}.`, "")).sort();
    const parsed = Object.keys(parseSettings(() => undefined)).sort();
    assert.deepEqual(keys, parsed);
  });
});
