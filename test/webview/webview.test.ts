/**
 * The webview app in real Chromium, on the panel's own page (renderWebviewShell: strict CSP, nonce,
 * script and stylesheet by URL) with a stubbed acquireVsCodeApi that records what the app posts.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { renderWebviewShell } from "../../src/core/report/shell";
import { buildComparisonView, buildProfileView } from "../../src/core/view/build";
import { diffProfileViews } from "../../src/core/view/delta";
import { formatBytes, formatDuration } from "../../src/core/view/format";
import { WEBVIEW_PROTOCOL_VERSION, type HostToWebviewMessage, type ProfileView } from "../../src/protocol/webview";
import { hostileProfile, loadSampleProfile, profileAt, XSS_FUNCTION, XSS_SCRIPT } from "../unit/view-synthetic";
import { buildWebviewBundle, CSS_PATH, canvasInk, launch, watchedPage, writeArtifact, type Browser, type Watched } from "./support";

type Posted = { type: string; [k: string]: unknown };

/** VS Code's API, stubbed: posts are recorded; state lives in sessionStorage so it survives a reload like VS Code's. */
function stubVsCodeApi(): void {
  const w = window as unknown as { __posted: unknown[]; acquireVsCodeApi: () => unknown };
  w.__posted = [];
  let acquired = false;
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error("acquireVsCodeApi called twice");
    acquired = true;
    return {
      postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => { const s = sessionStorage.getItem("vscode-state"); return s ? JSON.parse(s) : undefined; },
      setState: (s: unknown) => sessionStorage.setItem("vscode-state", JSON.stringify(s)),
    };
  };
  // A theme, set on <html> like VS Code does, before the app boots: the first chart colour is pure
  // red so the test can find it on the canvas.
  document.addEventListener("DOMContentLoaded", () => {
    document.documentElement.style.setProperty("--vscode-charts-blue", "rgb(255, 0, 0)");
    document.documentElement.style.setProperty("--vscode-foreground", "rgb(30, 30, 30)");
  });
}

const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: Posted[] }).__posted);
const send = (page: Page, m: HostToWebviewMessage) => page.evaluate((msg) => window.postMessage(msg, "*"), m);
const clearPosted = (page: Page) => page.evaluate(() => { (window as unknown as { __posted: unknown[] }).__posted.length = 0; });

/** The chart's ink once it has at least `min` pixels, or after 30 s whatever it has. */
async function waitInk(page: Page, selector: string, min = 500): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = await canvasInk(page, selector);
    if (n >= min || Date.now() > deadline) return n;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  }
}

describe("webview app in Chromium (panel page)", () => {
  let browser: Browser;
  let url: string;
  let w: Watched;
  const sample = loadSampleProfile();
  const early = buildProfileView(profileAt(sample, 1600), { live: true });
  const final = buildProfileView(sample);
  let revision = 0;
  const snapshot = (view: ProfileView | ReturnType<typeof buildComparisonView>): HostToWebviewMessage =>
    ({ type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision: ++revision, view });

  before(async () => {
    const bundlePath = await buildWebviewBundle();
    url = writeArtifact("panel.html", renderWebviewShell({
      nonce: "dGVzdC1ub25jZS0xMjM0NQ==", cspSource: "file:", scriptUri: `file://${bundlePath}`, styleUri: `file://${CSS_PATH}`, title: "Worker Memory",
    })).url;
    browser = await launch();
    w = await watchedPage(browser.context);
    await w.page.addInitScript(stubVsCodeApi);
    await w.page.goto(url);
  });

  after(async () => {
    await browser?.close();
  });

  const noProblems = async () => assert.deepEqual(await w.problems(), []);

  it("posts ready first, then draws a snapshot with the theme's chart colours", async () => {
    const page = w.page;
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.length > 0);
    assert.deepEqual(await posted(page), [{ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: null }]);
    await send(page, snapshot(early));
    for (const id of ["#wm-memory-chart", "#wm-copies-chart", "#wm-sites-chart"]) assert.ok(await waitInk(page, id) > 500, id);
    const red = await canvasInk(page, "#wm-memory-chart", "red");
    assert.ok(red > 50, `--vscode-charts-blue drawn (${red} red pixels)`);
    assert.equal(await page.textContent("#wm-title"), "pool_demo.py");
    assert.equal(await page.textContent("#wm-status-badge"), "Live");
    assert.equal(await page.isVisible("#wm-stop"), true);
    assert.equal(await page.textContent('[data-total="wall"]'), formatDuration(early.totals.wallMs));
    // Every chart has a text alternative: an aria-label and a data table or list.
    for (const id of ["#wm-memory-chart", "#wm-copies-chart", "#wm-sites-chart"]) {
      assert.equal(await page.getAttribute(id, "role"), "img");
      assert.ok(((await page.getAttribute(id, "aria-label")) ?? "").length > 20, `${id} aria-label`);
    }
    assert.equal(await page.locator("#wm-memory-table tbody tr").count(), early.memory.series.length);
    assert.ok(await page.locator("#wm-sites-table tbody tr").count() > 3);
    await noProblems();
  });

  it("applies deltas: totals and status update; an out-of-sync delta asks for a snapshot", async () => {
    const page = w.page;
    const delta = diffProfileViews(early, final);
    assert.ok(delta);
    await clearPosted(page);
    await send(page, { type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: revision, revision: revision + 1, delta });
    revision++;
    await page.waitForFunction((t) => document.querySelector('[data-total="sent"]')?.textContent === t, formatBytes(final.totals.bytesSent));
    assert.equal(await page.textContent('[data-total="wall"]'), formatDuration(final.totals.wallMs));
    assert.equal(await page.textContent("#wm-status-badge"), "Complete");
    assert.equal(await page.isVisible("#wm-stop"), false);
    assert.equal(await page.locator("#wm-memory-table tbody tr").count(), final.memory.series.length);
    assert.ok(await waitInk(page, "#wm-memory-chart") > 500);
    // A delta for a revision the webview does not have: it must not apply it, and must resync.
    await send(page, { type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: 999, revision: 1000, delta: { kind: "profile", totals: { ...final.totals, bytesSent: 1 } } });
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.some((m) => m.type === "ready"));
    assert.deepEqual(await posted(page), [{ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision }]);
    assert.equal(await page.textContent('[data-total="sent"]'), formatBytes(final.totals.bytesSent));
    await noProblems();
  });

  it("posts openSite when a site is clicked in the table, activated by keyboard, or clicked on the bar chart", async () => {
    const page = w.page;
    await clearPosted(page);
    const first = page.locator("#wm-sites-table tbody .wm-link").first();
    const file = await first.getAttribute("data-file");
    const line = Number(await first.getAttribute("data-line"));
    await first.click();
    assert.deepEqual((await posted(page)).at(-1), { type: "openSite", file, line });
    await clearPosted(page);
    await page.locator("#wm-findings .wm-link").first().focus();
    await page.keyboard.press("Enter");
    assert.deepEqual((await posted(page)).at(-1), { type: "openSite", file: "/home/dev/proj/pool_demo.py", line: 42 });
    // The bar chart: find the first bar by its pixels and click its middle.
    await clearPosted(page);
    await page.locator("#wm-sites-chart").scrollIntoViewIfNeeded();
    const pt = await page.$eval("#wm-sites-chart", (el) => {
      const c = el as HTMLCanvasElement;
      const r = c.getBoundingClientRect();
      const ctx = c.getContext("2d") as CanvasRenderingContext2D;
      const x = Math.floor(c.width * 0.5);
      const col = ctx.getImageData(x, 0, 1, c.height).data;
      let start = -1;
      for (let y = 0; y < c.height; y++) {
        const ink = (col[y * 4 + 3] as number) > 100;
        if (ink && start < 0) start = y;
        if (!ink && start >= 0) {
          if (y - start >= 6) return { x: r.left + (x / c.width) * r.width, y: r.top + ((start + y) / 2 / c.height) * r.height };
          start = -1;
        }
      }
      return null;
    });
    assert.ok(pt, "found a bar");
    await page.mouse.click(pt.x, pt.y);
    // Chart.js handles canvas events on the next animation frame.
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.length > 0);
    const top = final.copies.sites[0]?.site;
    assert.deepEqual((await posted(page)).at(-1), { type: "openSite", file: top?.file, line: top?.line });
    await noProblems();
  });

  it("sorts tables from the header, with the mouse and the keyboard", async () => {
    const page = w.page;
    const header = page.locator('#wm-processes-table th:has(button[data-col="rss"])');
    const pids = () => page.$$eval("#wm-processes-table tbody tr", (rows) => rows.map((r) => r.getAttribute("data-key")));
    await header.locator("button").click();
    assert.equal(await header.getAttribute("aria-sort"), "descending");
    const byRss = [...final.processes].sort((a, b) => (b.peakRss ?? 0) - (a.peakRss ?? 0)).map((p) => p.key);
    assert.deepEqual(await pids(), byRss);
    // Focus stays on the header button; Enter flips the order.
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute("data-col")), "rss");
    await page.keyboard.press("Enter");
    assert.equal(await header.getAttribute("aria-sort"), "ascending");
    assert.deepEqual(await pids(), [...byRss].reverse());
    await noProblems();
  });

  it("switches the memory metric; says when PSS is unavailable", async () => {
    const page = w.page;
    await page.check("#wm-mode-rss");
    assert.ok(await waitInk(page, "#wm-memory-chart") > 500);
    assert.match((await page.getAttribute("#wm-memory-chart", "aria-label")) ?? "", /RSS/);
    await page.check("#wm-show-sum");
    assert.match((await page.textContent("#wm-memory-chart + figcaption, #memory figcaption")) ?? "", /RSS/);
    const noPss = loadSampleProfile();
    noPss.capabilities.pss = false;
    for (const p of noPss.processes) for (const s of p.samples) s.pss = null;
    noPss.totals.peakPssSum = null;
    await send(page, snapshot(buildProfileView(noPss)));
    await page.waitForFunction(() => document.querySelector('[data-total-sub="pss"]')?.textContent === "PSS unavailable on this platform");
    assert.match((await page.textContent("#memory .wm-note")) ?? "", /PSS unavailable on this platform/);
    assert.equal(await page.isDisabled("#wm-mode-pss"), true);
    await page.check("#wm-mode-breakdown");
    assert.ok(await waitInk(page, "#wm-memory-chart") > 500);
    await noProblems();
  });

  it("shows the values of the point under the pointer in a tooltip", async () => {
    const page = w.page;
    await send(page, snapshot(final));
    await page.waitForFunction(() => document.querySelector("#wm-status-badge")?.textContent === "Complete");
    await page.check("#wm-mode-breakdown");
    const chart = page.locator("#wm-memory-chart");
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const tip = page.locator("#memory .wm-tip");
    await tip.waitFor({ state: "visible" });
    const text = (await tip.textContent()) ?? "";
    // A time, then a process's USS and its shared part (the two lines of one process).
    assert.match(text, /^\d[\d.]* s/);
    assert.ok(final.memory.series.some((s) => text.includes(`${s.label}: `) && text.includes(`${s.label} · shared: `)), text);
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height + 40);
    await tip.waitFor({ state: "hidden" });
    await noProblems();
  });

  it("renders hostile names as text: no markup, no script, no dialog", async () => {
    const page = w.page;
    const view = buildProfileView(hostileProfile());
    await send(page, snapshot(view));
    await page.waitForFunction((t) => document.querySelector("#wm-title")?.textContent === t, XSS_SCRIPT);
    assert.equal(await page.locator("img").count(), 0);
    assert.equal(await page.locator("#wmprof-app script, #wmprof-app b").count(), 0);
    const fns = await page.$$eval("#wm-sites-table tbody code", (els) => els.map((e) => e.textContent));
    assert.ok(fns.includes(XSS_FUNCTION));
    assert.ok(((await page.textContent("#wm-findings")) ?? "").includes("<b>bold</b> & </script><!-- "));
    assert.ok(((await page.textContent(".wm-warnings")) ?? "").includes("<script>alert(3)</script>"));
    const link = page.locator("#wm-sites-table tbody .wm-link").first();
    assert.match((await link.textContent()) ?? "", /^<img src=x onerror=alert\(1\)>\.py:\d+$/);
    assert.deepEqual(w.dialogs, []);
    await noProblems();
  });

  it("shows a comparison with one bar chart per figure", async () => {
    const page = w.page;
    const view = buildComparisonView([loadSampleProfile(), hostileProfile(), profileAt(loadSampleProfile(), 2000)]);
    await send(page, snapshot(view));
    await page.waitForFunction(() => document.querySelector("#wm-title")?.textContent === "Comparing 3 profiles");
    for (const id of ["wall", "bytes", "pss", "rss", "cow", "findings"]) assert.ok(await waitInk(page, `#wm-compare-${id}`) > 200, id);
    assert.equal(await page.locator("#wm-comparison-table tbody tr").count(), 3);
    assert.equal(await page.locator("img").count(), 0);
    await noProblems();
  });

  it("restores the last view from its state after a reload, then asks for a snapshot with its revision", async () => {
    const page = w.page;
    await send(page, snapshot(final));
    await page.waitForFunction(() => document.querySelector("#wm-title")?.textContent === "pool_demo.py");
    // The app saves its state shortly after an update.
    await page.waitForFunction((rev) => {
      const s = sessionStorage.getItem("vscode-state");
      return s !== null && JSON.parse(s).revision === rev && JSON.parse(s).view?.kind === "profile";
    }, revision);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __posted: Posted[] }).__posted.length > 0);
    assert.deepEqual(await posted(page), [{ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision }]);
    assert.equal(await page.textContent("#wm-title"), "pool_demo.py");
    assert.ok(await waitInk(page, "#wm-memory-chart") > 500);
    await noProblems();
  });
});
