/**
 * The end-to-end rig: a real code-server (VS Code 1.100 in a browser) with the packaged .vsix
 * installed, driven by Debian's Chromium through playwright-core. No wall-clock thresholds: every
 * wait is for a condition, with generous timeouts (CI machines have 2 shared cores).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";

export const ROOT = resolve(__dirname, "../..");
export const ARTIFACTS = join(ROOT, "test-artifacts");
export const VSIX = join(ROOT, "worker-memory-profiler.vsix");
export const CODE_SERVER_BIN = join(ROOT, ".vscode-test", "code-server", "node_modules", "code-server", "out", "node", "entry.js");
export const CHROMIUM = process.env.WMPROF_CHROMIUM ?? "/usr/bin/chromium";
/** Generous: code-server's first start and a cold Chromium take a while on 2 shared cores. */
export const LONG = Number(process.env.WMPROF_E2E_TIMEOUT_MS) || 180_000;

export function checkPrerequisites(): void {
  if (!existsSync(CODE_SERVER_BIN)) throw new Error(`code-server missing at ${CODE_SERVER_BIN}: run node test/e2e/setup.mjs`);
  if (!existsSync(VSIX)) throw new Error(`${VSIX} missing: run npm run package`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium missing at ${CHROMIUM}: apt-get install -y chromium`);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = LONG, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Pids of live processes whose environment or command line contains `marker`. */
export function processesWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    for (const f of ["environ", "cmdline"]) {
      try {
        if (readFileSync(`/proc/${name}/${f}`).includes(marker)) {
          // Zombies keep their cmdline until reaped but are not running; count only live ones.
          const stat = readFileSync(`/proc/${name}/stat`, "utf8");
          const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
          if (state !== "Z") out.push(Number(name));
          break;
        }
      } catch {
        /* gone or not ours to read */
      }
    }
  }
  return out;
}

export interface ServerOptions {
  /** false: leave Workspace Trust on (the Restricted Mode test). */
  disableTrust: boolean;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Install the packaged .vsix (default true). */
  installVsix?: boolean;
  /** VS Code web `payload` entries whose values are server paths (sent as vscode-remote URIs),
   *  e.g. extensionDevelopmentPath / extensionTestsPath. */
  remotePayload?: [string, string][];
  /** Extra environment for code-server (and so for its extension host). */
  env?: Record<string, string>;
  /** Called before the page loads (e.g. to expose codeAutomationExit). */
  beforeLoad?: (page: Page) => Promise<void>;
}

/** One code-server with its own user-data and extensions folders, and one Chromium page on it. */
export class Workbench {
  private server: ChildProcess | undefined;
  private browser: Browser | undefined;
  page!: Page;
  port = 0;
  readonly dir: string;
  private serverLog = "";

  constructor(readonly name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `wmprof-e2e-${name}-`));
  }

  get extensionsDir(): string {
    return join(this.dir, "extensions");
  }

  async start(folder: string, opts: ServerOptions): Promise<void> {
    const userData = join(this.dir, "user-data");
    mkdirSync(join(userData, "User"), { recursive: true });
    writeFileSync(
      join(userData, "User", "settings.json"),
      JSON.stringify(
        {
          "workbench.startupEditor": "none",
          "workbench.tips.enabled": false,
          "workbench.welcomePage.walkthroughs.openOnInstall": false,
          "telemetry.telemetryLevel": "off",
          "extensions.autoCheckUpdates": false,
          "extensions.autoUpdate": false,
          "update.mode": "none",
          "security.workspace.trust.startupPrompt": "never",
          "security.workspace.trust.untrustedFiles": "open",
          "window.restoreWindows": "none",
          ...opts.settings,
        },
        null,
        2,
      ),
    );
    const config = join(this.dir, "config.yaml");
    writeFileSync(config, "auth: none\ncert: false\n");
    if (opts.installVsix !== false) this.installVsix(config, userData);
    this.port = await freePort();
    const args = [
      CODE_SERVER_BIN,
      "--config", config,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${this.port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      "--user-data-dir", userData,
      "--extensions-dir", this.extensionsDir,
    ];
    if (opts.disableTrust) args.push("--disable-workspace-trust");
    args.push(folder);
    this.server = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "", ...opts.env } });
    this.server.stdout?.on("data", (d: Buffer) => (this.serverLog += d.toString()));
    this.server.stderr?.on("data", (d: Buffer) => (this.serverLog += d.toString()));
    await waitFor("code-server /healthz", async () => {
      if (this.server?.exitCode !== null) throw new Error(`code-server exited: ${this.serverLog}`);
      const r = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });

    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
    });
    const context = await this.browser.newContext({ viewport: { width: 1600, height: 1000 } });
    this.page = await context.newPage();
    this.page.setDefaultTimeout(LONG);
    await opts.beforeLoad?.(this.page);
    let url = `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(folder)}`;
    if (opts.remotePayload) {
      const payload = opts.remotePayload.map(([k, path]) => [k, this.remoteUri(path)]);
      url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    }
    await this.page.goto(url);
    await this.page.locator(".monaco-workbench").waitFor({ state: "visible" });
    // The workbench is usable once the status bar and the editor area are rendered.
    await this.page.locator(".part.statusbar").waitFor({ state: "visible" });
    await this.page.locator(".part.editor").waitFor({ state: "visible" });
  }

  /** A path on the server as the workbench names it (for payload entries). */
  remoteUri(path: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${path}`;
  }

  private installVsix(config: string, userData: string): void {
    const install = spawnSync(process.execPath, [CODE_SERVER_BIN, "--config", config, "--user-data-dir", userData, "--extensions-dir", this.extensionsDir, "--install-extension", VSIX, "--force"], {
      encoding: "utf8",
      timeout: LONG,
    });
    if (install.status !== 0) throw new Error(`code-server --install-extension failed: ${install.stderr || install.stdout}`);
  }

  /**
   * F1, type the command title, Enter. Retries with a fresh palette: right after the workbench
   * loads, the extension's commands may not be registered yet and an open palette does not refresh.
   */
  async runCommand(title: string): Promise<void> {
    const input = this.page.locator(".quick-input-widget input.input");
    const row = this.page.locator(".quick-input-list .monaco-list-row.focused", { hasText: title }).first();
    await waitFor(`the command "${title}" in the palette`, async () => {
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("F1");
      await input.waitFor({ state: "visible", timeout: 10_000 });
      await input.fill(`>${title}`);
      await row.waitFor({ state: "visible", timeout: 10_000 });
      return true;
    });
    await this.page.keyboard.press("Enter");
  }

  /** A top-level file of the workspace in the Explorer. */
  explorerItem(name: string): Locator {
    return this.page.locator(".explorer-folders-view .monaco-list-row", { has: this.page.locator(".label-name", { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) }).first();
  }

  /** Right-clicks a file in the Explorer and picks `label` from the context menu. */
  async explorerMenu(name: string, label: string): Promise<void> {
    await this.page.keyboard.press("Escape");
    await this.explorerItem(name).click({ button: "right" });
    // Hover until the item is focused, then Enter: a click right after the menu opens can be
    // swallowed by the menu's guard against the opening right-click's mouseup.
    const item = this.page.locator(".context-view .monaco-menu .action-item", { has: this.page.locator(".action-label", { hasText: label }) }).first();
    await waitFor(`"${label}" focused in the context menu`, async () => {
      await item.hover();
      return (await item.getAttribute("class"))?.includes("focused") || undefined;
    });
    await this.page.keyboard.press("Enter");
  }

  /**
   * Opens a top-level workspace file from the Explorer (double-click: a pinned editor). Not Quick
   * Open: its history also lists the panel, whose title contains the script's name.
   */
  async openFile(name: string): Promise<void> {
    const tab = this.page.locator(".editor-group-container.active .tabs-container .tab.active .label-name", { hasText: new RegExp(`^${escapeRegExp(name)}$`) });
    // Again until its tab is the active one: a file the previous test created re-sorts the
    // Explorer, and a double-click aimed at a row that moves meanwhile opens its neighbour.
    await waitFor(`${name} open in the active editor`, async () => {
      await this.page.keyboard.press("Escape");
      await this.explorerItem(name).dblclick();
      return tab.waitFor({ state: "visible", timeout: 10_000 }).then(() => true);
    });
    await this.activeEditorLines().waitFor({ state: "visible" });
  }

  /** Answers VS Code's simple file dialog (the quick-input one used in the browser) with a path. */
  async answerFileDialog(path: string): Promise<void> {
    const input = this.page.locator(".quick-input-widget input.input");
    await input.waitFor({ state: "visible" });
    await waitFor("the file dialog to show a path", async () => ((await input.inputValue()).startsWith("/") ? true : undefined));
    // The simple dialog rewrites its value while it initialises and completes paths as one types:
    // set the value until it sticks, then accept.
    await waitFor("the file dialog to hold the path", async () => {
      if ((await input.inputValue()) !== path) await input.fill(path);
      await new Promise((r) => setTimeout(r, 500));
      return (await input.inputValue()) === path || undefined;
    });
    await this.page.keyboard.press("Enter");
  }

  /** The profile panel's content: two iframes deep. */
  webview(): FrameLocator {
    return this.page.frameLocator("iframe.webview").frameLocator("iframe#active-frame");
  }

  notification(hasText: string | RegExp): Locator {
    return this.page.locator(".notifications-toasts .notification-toast", { hasText });
  }

  statusItem(hasText: string | RegExp): Locator {
    return this.page.locator(".part.statusbar .statusbar-item", { hasText });
  }

  /** The lines of the text editor in the active editor group. */
  activeEditorLines(): Locator {
    return this.page.locator(".editor-group-container.active .monaco-editor .view-lines").first();
  }

  /**
   * The active editor's visible lines, top to bottom, with decoration text: VS Code renders an
   * `after.contentText` decoration as a CSS ::after `content`, which innerText does not include.
   */
  async editorText(): Promise<string> {
    const lines = (await this.activeEditorLines().evaluate((root, src) => (0, eval)(src)(root), EDITOR_LINES_SCRIPT)) as string[];
    // Monaco renders spaces as no-break spaces.
    return lines.join("\n").replace(/\u00a0/g, " ");
  }

  /** Runs one test step; on failure saves a screenshot named after it, then rethrows. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      await this.screenshot(`FAILED-${name}`).catch(() => undefined);
      throw e;
    }
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    // No hover tooltips in the pictures.
    await this.page.mouse.move(1, this.page.viewportSize()?.height ? this.page.viewportSize()!.height / 2 : 400);
    await this.page.screenshot({ path });
    return path;
  }

  get log(): string {
    return this.serverLog;
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    this.browser = undefined;
    const s = this.server;
    this.server = undefined;
    if (s?.pid !== undefined && s.exitCode === null) {
      const gone = new Promise((r) => s.once("exit", r));
      try {
        process.kill(-s.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-s.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, 10_000);
      await gone;
      clearTimeout(timer);
    }
    if (!process.env.WMPROF_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs in the page (a plain string: tsx's esbuild would wrap named functions in a `__name` helper
 * that does not exist there). Returns the text of each `.view-line`, top to bottom, with CSS
 * ::before/::after `content` (a CSS string literal) spliced in where it renders.
 */
const EDITOR_LINES_SCRIPT = `(root) => {
  const pseudo = (el, which) => {
    const c = getComputedStyle(el, which).content;
    if (!c || c === "none" || c === "normal") return "";
    try { return JSON.parse(c); } catch { return c.replace(/^"|"$/g, ""); }
  };
  const text = (el) => {
    let out = pseudo(el, "::before");
    for (const n of Array.from(el.childNodes)) {
      if (n.nodeType === Node.TEXT_NODE) out += n.textContent || "";
      else if (n.nodeType === Node.ELEMENT_NODE) out += text(n);
    }
    return out + pseudo(el, "::after");
  };
  return Array.from(root.querySelectorAll(".view-line"))
    .map((l) => ({ top: parseFloat(l.style.top) || 0, text: text(l) }))
    .sort((a, b) => a.top - b.top)
    .map((l) => l.text);
}`;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
