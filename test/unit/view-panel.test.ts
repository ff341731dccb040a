/**
 * Glue test for src/extension/panel.ts with a stub `vscode` module: CSP and URIs of the page,
 * handshake, and what the panel forwards from the webview. The proof that the panel works in
 * VS Code is the extension's code-server E2E; this checks the wiring only.
 */
import { strict as assert } from "node:assert";
import Module from "node:module";
import { describe, it } from "node:test";
import { WEBVIEW_PROTOCOL_VERSION } from "../../src/protocol/webview";
import { loadSampleProfile } from "./view-synthetic";

interface Uri { path: string; toString(): string }
const uri = (path: string): Uri => ({ path, toString: () => `file://${path}` });

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (fn: (e: T) => void) => { this.listeners.push(fn); return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== fn); } }; };
  fire(e: T): void { for (const l of this.listeners) l(e); }
  dispose(): void { this.listeners = []; }
}

interface FakePanel {
  viewType: string;
  options: Record<string, unknown>;
  posted: unknown[];
  visible: boolean;
  title: string;
  disposed: boolean;
  webview: { html: string; options: Record<string, unknown>; cspSource: string; asWebviewUri(u: Uri): Uri; postMessage(m: unknown): Promise<boolean> };
  receive(m: unknown): void;
  setVisible(v: boolean): void;
}

const panels: FakePanel[] = [];
function fakePanel(viewType: string, options: Record<string, unknown>): FakePanel {
  const onMessage = new EventEmitter<unknown>();
  const onDispose = new EventEmitter<void>();
  const onView = new EventEmitter<{ webviewPanel: FakePanel }>();
  const p: FakePanel & Record<string, unknown> = {
    viewType, options, posted: [], visible: true, title: "", disposed: false,
    webview: {
      html: "", options: {}, cspSource: "https://file+.vscode-resource.test",
      asWebviewUri: (u) => ({ path: u.path, toString: () => `https://file+.vscode-resource.test${u.path}` }),
      postMessage: async (m) => { p.posted.push(JSON.parse(JSON.stringify(m))); return true; },
      onDidReceiveMessage: (fn: (m: unknown) => void, _t: unknown, subs: unknown[]) => { const d = onMessage.event(fn); subs.push(d); return d; },
    } as FakePanel["webview"],
    onDidDispose: (fn: () => void, _t: unknown, subs: unknown[]) => { const d = onDispose.event(fn); subs.push(d); return d; },
    onDidChangeViewState: (fn: (e: { webviewPanel: FakePanel }) => void, _t: unknown, subs: unknown[]) => { const d = onView.event(fn); subs.push(d); return d; },
    reveal: () => undefined,
    dispose: () => { if (!p.disposed) { p.disposed = true; onDispose.fire(); } },
    receive: (m) => onMessage.fire(m),
    setVisible: (v) => { p.visible = v; onView.fire({ webviewPanel: p }); },
  };
  panels.push(p);
  return p;
}

const vscodeStub = {
  EventEmitter,
  Uri: { file: uri, joinPath: (base: Uri, ...parts: string[]) => uri([base.path, ...parts].join("/")) },
  ViewColumn: { One: 1, Beside: -2 },
  window: {
    activeTextEditor: undefined,
    createWebviewPanel: (viewType: string, _title: string, _show: unknown, options: Record<string, unknown>) => fakePanel(viewType, options),
    registerWebviewPanelSerializer: (_viewType: string, serializer: unknown) => { registered = serializer; return { dispose: () => undefined }; },
  },
};
let registered: unknown;

// Resolve `vscode` to the stub for the panel module.
const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
const resolve = M._resolveFilename;
M._resolveFilename = function (req: string, ...rest: unknown[]) { return req === "vscode" ? "vscode" : resolve.call(this, req, ...rest); };
require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: vscodeStub } as unknown as NodeJS.Module;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ProfilePanel, registerProfilePanelSerializer } = require("../../src/extension/panel") as typeof import("../../src/extension/panel");

const EXT = uri("/ext");
const ready = { type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: null };

describe("ProfilePanel (stub vscode)", () => {
  it("creates one panel with a strict CSP, a nonce, scripts via asWebviewUri and roots limited to dist and media", () => {
    const a = ProfilePanel.createOrShow(EXT as never);
    assert.equal(ProfilePanel.createOrShow(EXT as never), a);
    assert.equal(ProfilePanel.current, a);
    const p = panels.at(-1) as FakePanel;
    assert.equal(p.viewType, "workerMemory.profile");
    assert.equal(p.options.enableScripts, true);
    assert.equal(p.options.retainContextWhenHidden, undefined);
    assert.deepEqual((p.options.localResourceRoots as Uri[]).map((u) => u.path), ["/ext/dist", "/ext/media"]);
    const html = p.webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    assert.ok(nonce);
    assert.match(html, /default-src 'none'/);
    assert.match(html, /style-src https:\/\/file\+\.vscode-resource\.test;/);
    assert.doesNotMatch(html, /unsafe/);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://file+.vscode-resource.test/ext/dist/webview.js"></script>`));
    assert.ok(html.includes('href="https://file+.vscode-resource.test/ext/media/webview.css"'));
    a.dispose();
    assert.equal(ProfilePanel.current, undefined);
    assert.ok(p.disposed);
  });

  it("answers ready with a snapshot and forwards only known sites, resolved against the profile's cwd", () => {
    const a = ProfilePanel.createOrShow(EXT as never);
    const p = panels.at(-1) as FakePanel;
    const profile = loadSampleProfile();
    const rel = profile.copies[0];
    assert.ok(rel?.site);
    rel.site = { ...rel.site, file: "pool_demo.py", line: 77 };
    a.showProfile(profile, { live: true });
    assert.equal(p.posted.length, 0, "nothing before ready");
    p.receive(ready);
    assert.equal((p.posted[0] as { type: string }).type, "snapshot");
    assert.match(p.title, /pool_demo\.py \(live\)/);
    const opened: { file: string; line: number }[] = [];
    const sub = ProfilePanel.onDidRequestOpenSite((e) => opened.push(e));
    p.receive({ type: "openSite", file: "/home/dev/proj/pool_demo.py", line: 42 });
    p.receive({ type: "openSite", file: "pool_demo.py", line: 77 });
    p.receive({ type: "openSite", file: "/etc/passwd", line: 1 });
    p.receive({ type: "openSite", file: "/home/dev/proj/pool_demo.py", line: "42" });
    p.receive({ type: "exec", command: "rm -rf /" });
    sub.dispose();
    assert.deepEqual(opened, [{ file: "/home/dev/proj/pool_demo.py", line: 42 }, { file: "/home/dev/proj/pool_demo.py", line: 77 }]);
    a.dispose();
  });

  it("forwards Stop only while the shown run is live; re-sends a snapshot when visible again", () => {
    const a = ProfilePanel.createOrShow(EXT as never);
    const p = panels.at(-1) as FakePanel;
    let stops = 0;
    const sub = ProfilePanel.onDidRequestStop(() => stops++);
    a.showProfile(loadSampleProfile(), { live: true });
    p.receive(ready);
    p.receive({ type: "stop" });
    a.showProfile(loadSampleProfile(), { live: false });
    p.receive({ type: "stop" });
    assert.equal(stops, 1);
    const before = p.posted.length;
    p.setVisible(false);
    p.setVisible(true);
    assert.equal(p.posted.length, before + 1);
    assert.equal((p.posted.at(-1) as { type: string }).type, "snapshot");
    sub.dispose();
    a.dispose();
  });

  it("revives a restored panel through the serializer with a fresh page", async () => {
    registerProfilePanelSerializer({ extensionUri: EXT } as never);
    const restored = fakePanel("workerMemory.profile", {});
    await (registered as { deserializeWebviewPanel(p: unknown, s: unknown): Promise<void> }).deserializeWebviewPanel(restored, { v: 1 });
    assert.ok(ProfilePanel.current);
    assert.match(restored.webview.html, /script-src 'nonce-/);
    assert.deepEqual((restored.webview.options.localResourceRoots as Uri[]).map((u) => u.path), ["/ext/dist", "/ext/media"]);
    const first = /nonce-([^']+)/.exec(restored.webview.html)?.[1];
    ProfilePanel.current?.dispose();
    const again = fakePanel("workerMemory.profile", {});
    await (registered as { deserializeWebviewPanel(p: unknown, s: unknown): Promise<void> }).deserializeWebviewPanel(again, undefined);
    assert.notEqual(/nonce-([^']+)/.exec(again.webview.html)?.[1], first, "a fresh nonce per render");
    ProfilePanel.current?.dispose();
  });
});
