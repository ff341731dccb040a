/**
 * Chromium test support: builds the webview bundle, launches Debian's /usr/bin/chromium through
 * playwright-core (never a downloaded browser) with a fresh profile, and watches a page for
 * console errors, CSP violations, dialogs and any request that is not file: or data:.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = join(__dirname, "..", "..");
export const ARTIFACTS = join(ROOT, "test-artifacts");
export const CSS_PATH = join(ROOT, "media", "webview.css");

let bundle: Promise<string> | undefined;

/** Builds src/webview/main.ts like esbuild.mjs does (browser, iife) into test-artifacts/webview/webview.js. */
export function buildWebviewBundle(): Promise<string> {
  bundle ??= (async () => {
    const outfile = join(ARTIFACTS, "webview", "webview.js");
    mkdirSync(join(ARTIFACTS, "webview"), { recursive: true });
    await esbuild.build({
      entryPoints: [join(ROOT, "src", "webview", "main.ts")], outfile, bundle: true, platform: "browser", format: "iife",
      target: "chrome114", sourcemap: false, logLevel: "warning",
    });
    return outfile;
  })();
  return bundle;
}

export function reportAssets(bundlePath: string): { webviewJs: string; css: string } {
  return { webviewJs: readFileSync(bundlePath, "utf8"), css: readFileSync(CSS_PATH, "utf8") };
}

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "wmprof-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface Watched {
  page: Page;
  consoleErrors: string[];
  dialogs: string[];
  requests: string[];
  /** Asserts nothing bad happened (console errors, page errors, CSP violations, dialogs, non-file requests). */
  problems(): Promise<string[]>;
}

/** A new page that records every problem; all non-file/data requests are aborted. */
export async function watchedPage(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    // Chromium's hint about the tests' own getImageData readbacks is not the app's problem.
    if ((m.type() === "error" || m.type() === "warning") && !m.text().includes("willReadFrequently")) consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.stack ?? e.message}`));
  page.on("dialog", (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on("request", (r) => { const u = r.url(); if (!u.startsWith("file:") && !u.startsWith("data:")) requests.push(u); });
  await page.route("**/*", (route) => {
    const u = route.request().url();
    if (u.startsWith("file:") || u.startsWith("data:")) return route.continue();
    requests.push(u);
    return route.abort();
  });
  // tsx compiles test code with esbuild's keepNames, so functions handed to page.evaluate may call
  // its `__name` helper: give the page a no-op one.
  await page.addInitScript({ content: "window.__name = (f) => f;" });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return {
    page, consoleErrors, dialogs, requests,
    problems: async () => {
      const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      return [...consoleErrors, ...csp.map((c) => `CSP: ${c}`), ...dialogs.map((d) => `dialog: ${d}`), ...requests.map((r) => `request: ${r}`)];
    },
  };
}

/**
 * Number of non-transparent pixels of a chart (a drawn chart has thousands), or with "red" of
 * opaque, pure-red ones: its canvas and the canvases stacked over it in its box (the latest points
 * of a line chart are on an overlay, src/webview/linePlot.ts).
 */
export function canvasInk(page: Page, selector: string, color: "any" | "red" = "any"): Promise<number> {
  return page.$eval(selector, (el, color) => {
    const c = el as HTMLCanvasElement;
    if (c.width === 0 || c.height === 0) return 0;
    const all = c.parentElement?.classList.contains("wm-chart-box") ? Array.from(c.parentElement.querySelectorAll("canvas")) : [c];
    const out = document.createElement("canvas");
    out.width = c.width;
    out.height = c.height;
    const ctx = out.getContext("2d");
    if (!ctx) return 0;
    for (const layer of all) if (layer.width === c.width && layer.height === c.height) ctx.drawImage(layer, 0, 0);
    const d = ctx.getImageData(0, 0, out.width, out.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (color === "any" ? (d[i + 3] as number) > 0
        : (d[i] as number) > 200 && (d[i + 1] as number) < 60 && (d[i + 2] as number) < 60 && (d[i + 3] as number) > 200) n++;
    }
    return n;
  }, color);
}

/** Writes an HTML file under test-artifacts and returns its file:// URL. */
export function writeArtifact(name: string, content: string): { path: string; url: string } {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  writeFileSync(path, content);
  return { path, url: `file://${path}` };
}
