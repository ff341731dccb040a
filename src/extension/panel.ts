/**
 * The Worker Memory panel (view type `workerMemory.profile`): the ONE class that owns the webview
 * panel's lifecycle. Modelled on vscode-extension-samples/webview-sample.
 *
 * API:
 * - `ProfilePanel.createOrShow(extensionUri): ProfilePanel` — reveal the panel, creating it if needed.
 * - `ProfilePanel.current: ProfilePanel | undefined` — the open panel, if any.
 * - `panel.showProfile(profile, { live })` — show or update a profile. Call it as often as you like
 *   while a run is live: the view is rebuilt at most 4 times a second and only deltas are posted;
 *   the call with `live: false` (the final profile) is posted at once.
 * - `panel.showComparison(profiles)` — several profiles side by side (always a full snapshot).
 * - `ProfilePanel.onDidRequestOpenSite(({ file, line }) => …)` — the user clicked a call site. Only
 *   sites present in the shown profile are forwarded; relative paths are resolved against the
 *   profile's cwd; `line` is 1-based. The panel does not open editors itself.
 * - `ProfilePanel.onDidRequestStop(() => …)` — the user pressed Stop on a live run.
 * - `registerProfilePanelSerializer(context)` — restores the panel after a window reload (the
 *   webview re-renders what it kept with setState until the extension shows a profile again).
 *
 * Webview protocol (src/protocol/webview.ts): the webview posts `ready`, the panel answers with a
 * `snapshot`, then `delta`s; a fresh snapshot whenever the panel becomes visible again. Strict CSP
 * with a fresh nonce per render, scripts only via asWebviewUri, localResourceRoots = dist + media,
 * no retainContextWhenHidden.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { Profile } from "../protocol/profile";
import { isWebviewToHostMessage, type WebviewToHostMessage } from "../protocol/webview";
import { makeNonce, renderWebviewShell } from "../core/report/shell";
import { ViewFeed } from "../core/view/feed";
import { scriptTitle, viewHasSite } from "../core/view/build";

export interface OpenSiteRequest {
  file: string;
  line: number;
}

export class ProfilePanel {
  static readonly viewType = "workerMemory.profile";
  static current: ProfilePanel | undefined;

  private static readonly openSiteEmitter = new vscode.EventEmitter<OpenSiteRequest>();
  private static readonly stopEmitter = new vscode.EventEmitter<void>();
  /** The user clicked a call site in the panel. */
  static readonly onDidRequestOpenSite: vscode.Event<OpenSiteRequest> = ProfilePanel.openSiteEmitter.event;
  /** The user pressed Stop in the panel while a run was live. */
  static readonly onDidRequestStop: vscode.Event<void> = ProfilePanel.stopEmitter.event;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly feed: ViewFeed;
  private cwd: string | undefined;
  private disposed = false;

  static createOrShow(extensionUri: vscode.Uri): ProfilePanel {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    if (ProfilePanel.current) {
      ProfilePanel.current.panel.reveal(column, true);
      return ProfilePanel.current;
    }
    const panel = vscode.window.createWebviewPanel(ProfilePanel.viewType, "Worker Memory", { viewColumn: column, preserveFocus: true },
      webviewOptions(extensionUri));
    ProfilePanel.current = new ProfilePanel(panel, extensionUri);
    return ProfilePanel.current;
  }

  /** Re-attaches to a panel VS Code restored after a reload (the webview keeps its own state). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, _state: unknown): ProfilePanel {
    ProfilePanel.current?.dispose();
    ProfilePanel.current = new ProfilePanel(panel, extensionUri);
    return ProfilePanel.current;
  }

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri) {
    this.feed = new ViewFeed({
      post: (m) => { void this.panel.webview.postMessage(m); },
      now: () => Date.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, "media", "icon.svg");
    this.panel.webview.options = webviewOptions(extensionUri);
    this.render();
    this.panel.onDidDispose(() => this.dispose(), null, this.disposables);
    this.panel.onDidChangeViewState((e) => this.feed.setVisible(e.webviewPanel.visible), null, this.disposables);
    this.panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m), null, this.disposables);
  }

  get webviewPanel(): vscode.WebviewPanel {
    return this.panel;
  }

  /** Show or update a profile; see the file comment for the throttling rules. */
  showProfile(profile: Profile, opts: { live: boolean }): void {
    if (this.disposed) return;
    this.cwd = profile.cwd;
    this.panel.title = `Worker Memory: ${scriptTitle(profile.command)}${opts.live ? " (live)" : ""}`;
    this.feed.showProfile(profile, opts.live);
  }

  showComparison(profiles: Profile[]): void {
    if (this.disposed) return;
    this.cwd = undefined;
    this.panel.title = `Worker Memory: compare ${profiles.length}`;
    this.feed.showComparison(profiles);
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ProfilePanel.current === this) ProfilePanel.current = undefined;
    this.feed.dispose();
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }

  /** (Re)writes the webview's HTML with a fresh nonce; the webview then says `ready`. */
  private render(): void {
    const webview = this.panel.webview;
    this.feed.resetWebview();
    webview.html = renderWebviewShell({
      nonce: makeNonce(),
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "webview.css")).toString(),
      title: "Worker Memory",
    });
  }

  private receive(raw: unknown): void {
    if (!isWebviewToHostMessage(raw)) return;
    const m: WebviewToHostMessage = raw;
    switch (m.type) {
      case "ready":
        this.feed.receive(m);
        return;
      case "openSite": {
        // The webview is not trusted to name arbitrary files: only sites the view shows.
        if (!viewHasSite(this.feed.view, m.file, m.line)) return;
        const file = path.isAbsolute(m.file) || !this.cwd ? m.file : path.resolve(this.cwd, m.file);
        ProfilePanel.openSiteEmitter.fire({ file, line: m.line });
        return;
      }
      case "stop":
        if (this.feed.live) ProfilePanel.stopEmitter.fire();
        return;
      case "error":
        console.error(`[Worker Memory webview] ${m.message}`);
        return;
    }
  }
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "dist"), vscode.Uri.joinPath(extensionUri, "media")],
  };
}

/** Registers the serializer that restores `workerMemory.profile` panels after a window reload. */
export function registerProfilePanelSerializer(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(ProfilePanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      panel.webview.options = webviewOptions(context.extensionUri);
      ProfilePanel.revive(panel, context.extensionUri, state);
    },
  });
}
