/**
 * The self-contained HTML report opened from file:// in real Chromium: it draws, it makes no
 * requests, it logs nothing, it violates no CSP, and hostile names stay text.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderComparisonHtml, renderProfileHtml } from "../../src/core/report/html";
import { formatBytes } from "../../src/core/view/format";
import { hostileProfile, loadSampleProfile, profileAt, XSS_FUNCTION, XSS_SCRIPT } from "../unit/view-synthetic";
import { ARTIFACTS, buildWebviewBundle, canvasInk, launch, reportAssets, watchedPage, writeArtifact, type Browser } from "./support";

/** The only URLs allowed in a report: license comments Chart.js and @kurkle/color carry in the bundle. */
const LICENSE_URLS = new Set(["https://www.chartjs.org", "https://github.com/kurkle/color#readme"]);

describe("HTML report in Chromium (file://)", () => {
  let browser: Browser;
  let assets: { webviewJs: string; css: string };

  before(async () => {
    assets = reportAssets(await buildWebviewBundle());
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
  });

  it("contains no remote URLs besides bundled license comments", () => {
    const html = renderProfileHtml(loadSampleProfile(), assets);
    const urls = new Set(html.match(/https?:\/\/[^\s"'<>)*]+/g) ?? []);
    for (const u of urls) assert.ok(LICENSE_URLS.has(u), `unexpected URL ${u}`);
    for (const u of LICENSE_URLS) {
      const at = html.indexOf(u);
      if (at < 0) continue;
      const before = html.lastIndexOf("/*", at);
      assert.ok(before >= 0 && html.indexOf("*/", before) > at, `${u} is inside a comment`);
    }
  });

  it("draws the profile offline with no requests, console errors or CSP violations; saves a screenshot", async () => {
    const profile = loadSampleProfile();
    const { url } = writeArtifact("report.html", renderProfileHtml(profile, assets));
    const w = await watchedPage(browser.context);
    await w.page.goto(url);
    await w.page.waitForFunction(() => document.querySelector("#wm-title")?.textContent === "pool_demo.py");
    for (const id of ["#wm-memory-chart", "#wm-copies-chart", "#wm-sites-chart"]) {
      await w.page.waitForFunction((sel) => {
        const c = document.querySelector(sel) as HTMLCanvasElement | null;
        return !!c && c.width > 0 && c.height > 0;
      }, id);
      assert.ok(await canvasInk(w.page, id) > 500, `${id} drawn`);
    }
    assert.equal(await w.page.textContent('[data-total="sent"]'), formatBytes(profile.totals.bytesSent));
    assert.equal(await w.page.isVisible("#wm-stop"), false);
    // Sites are shown, not opened: clicking one puts its path in the status line.
    await w.page.locator("#wm-sites-table .wm-link").first().click();
    assert.match((await w.page.textContent("#wm-status")) ?? "", /^Source: \/home\/dev\/proj\/pool_demo\.py:\d+/);
    await w.page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
    assert.deepEqual(await w.problems(), []);
    await w.page.close();
  });

  it("renders hostile names as text (no dialog, no <img>)", async () => {
    const { url } = writeArtifact("report-hostile.html", renderProfileHtml(hostileProfile(), assets));
    const w = await watchedPage(browser.context);
    await w.page.goto(url);
    await w.page.waitForFunction((t) => document.querySelector("#wm-title")?.textContent === t, XSS_SCRIPT);
    assert.equal(await w.page.title(), `Worker Memory — ${XSS_SCRIPT}`);
    assert.equal(await w.page.locator("img").count(), 0);
    assert.equal(await w.page.locator("#wmprof-app script, #wmprof-app b").count(), 0);
    const fns = await w.page.$$eval("#wm-sites-table tbody code", (els) => els.map((e) => e.textContent));
    assert.ok(fns.includes(XSS_FUNCTION));
    assert.ok(((await w.page.textContent("#wm-findings")) ?? "").includes("<b>bold</b> & </script><!-- "));
    assert.ok(await canvasInk(w.page, "#wm-memory-chart") > 500);
    assert.deepEqual(w.dialogs, []);
    assert.deepEqual(await w.problems(), []);
    await w.page.close();
  });

  it("draws a comparison report", async () => {
    const { url } = writeArtifact("report-compare.html",
      renderComparisonHtml([loadSampleProfile(), profileAt(loadSampleProfile(), 2000), hostileProfile()], assets));
    const w = await watchedPage(browser.context);
    await w.page.goto(url);
    await w.page.waitForFunction(() => document.querySelector("#wm-title")?.textContent === "Comparing 3 profiles");
    for (const id of ["wall", "bytes", "pss", "rss", "cow", "findings"]) assert.ok(await canvasInk(w.page, `#wm-compare-${id}`) > 200, id);
    assert.equal(await w.page.locator("img").count(), 0);
    await w.page.screenshot({ path: join(ARTIFACTS, "report-compare.png"), fullPage: true });
    assert.deepEqual(await w.problems(), []);
    await w.page.close();
  });
});
