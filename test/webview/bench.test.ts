/**
 * Benchmark-ish: a 10-minute run of 64 processes (12,000 samples each) through the view model and
 * the webview in Chromium, as the live panel would see it (a snapshot, then 4 Hz deltas of 250 ms
 * of new samples). Prints main-thread time per update and writes test-artifacts/bench.json.
 * Asserts correctness only (drawn, bounded sizes), never time: the CI box has 2 shared cores.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderWebviewShell } from "../../src/core/report/shell";
import { buildProfileView, ViewCache } from "../../src/core/view/build";
import { diffProfileViews } from "../../src/core/view/delta";
import { WEBVIEW_PROTOCOL_VERSION, type HostToWebviewMessage, type ProfileView } from "../../src/protocol/webview";
import { makeBigProfile, profileAt } from "../unit/view-synthetic";
import { ARTIFACTS, buildWebviewBundle, canvasInk, CSS_PATH, launch, watchedPage, writeArtifact, type Browser, type Watched } from "./support";

const STEPS = 12;
const START_MS = 590_000;

function stats(xs: number[]): { median: number; p90: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { median: r(at(0.5)), p90: r(at(0.9)), max: r(s[s.length - 1] as number), mean: r(xs.reduce((a, b) => a + b, 0) / xs.length) };
}

describe("benchmark: 64 processes × 12,000 samples", () => {
  let browser: Browser;
  let w: Watched;
  const report: Record<string, unknown> = {};
  const full = makeBigProfile();

  before(async () => {
    const bundlePath = await buildWebviewBundle();
    const { url } = writeArtifact("bench-panel.html", renderWebviewShell({
      nonce: "YmVuY2gtbm9uY2UtMTIzNDU=", cspSource: "file:", scriptUri: `file://${bundlePath}`, styleUri: `file://${CSS_PATH}`, title: "bench",
    }));
    browser = await launch();
    w = await watchedPage(browser.context);
    await w.page.addInitScript(() => {
      const win = window as unknown as { acquireVsCodeApi: () => unknown; __posted: unknown[] };
      win.__posted = [];
      win.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => win.__posted.push(m), getState: () => undefined, setState: () => undefined });
      const loaf: number[] = [];
      (window as unknown as { __loaf: number[] }).__loaf = loaf;
      try {
        new PerformanceObserver((list) => { for (const e of list.getEntries()) loaf.push(e.duration); }).observe({ type: "long-animation-frame", buffered: false });
      } catch { /* not supported: longFrameMs stays 0 */ }
    });
    await w.page.goto(url);
    await w.page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  });

  after(async () => {
    await browser?.close();
    writeFileSync(join(ARTIFACTS, "bench.json"), JSON.stringify(report, null, 2) + "\n");
  });

  /**
   * Dispatches a host message in the page; returns the main-thread time of the message handler
   * (apply) plus the next animation frame's render (charts and tables), and the duration of any
   * long animation frame (≥ 50 ms, including style, layout and paint) it caused.
   */
  const dispatch = async (m: HostToWebviewMessage): Promise<{ applyMs: number; renderMs: number; longFrameMs: number }> => {
    const before = await w.page.evaluate((msg) => {
      const win = window as unknown as { wmprofApp: { perf: { applyMs: number; renders: number } }; __loaf: number[] };
      win.__loaf.length = 0;
      const renders = win.wmprofApp.perf.renders;
      window.dispatchEvent(new MessageEvent("message", { data: msg }));
      return { renders, applyMs: win.wmprofApp.perf.applyMs };
    }, m);
    await w.page.waitForFunction((r) => (window as unknown as { wmprofApp: { perf: { renders: number } } }).wmprofApp.perf.renders > r, before.renders);
    // Let the frame finish (paint) and the observer report it.
    await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    return w.page.evaluate((applyMs) => {
      const win = window as unknown as { wmprofApp: { perf: { renderMs: number } }; __loaf: number[] };
      return { applyMs, renderMs: win.wmprofApp.perf.renderMs, longFrameMs: Math.max(0, ...win.__loaf) };
    }, before.applyMs);
  };

  it("view model: build and diff times on the host", (t) => {
    let t0 = performance.now();
    const finalView = buildProfileView(full);
    const buildFull = performance.now() - t0;
    const builds: number[] = [];
    const diffs: number[] = [];
    const sizes: number[] = [];
    const cache = new ViewCache(); // what ViewFeed keeps between live builds
    let prev = buildProfileView(profileAt(full, START_MS), { live: true, cache });
    for (let i = 1; i <= STEPS; i++) {
      const p = profileAt(full, START_MS + i * 250);
      t0 = performance.now();
      const next = buildProfileView(p, { live: true, cache });
      builds.push(performance.now() - t0);
      t0 = performance.now();
      const d = diffProfileViews(prev, next);
      diffs.push(performance.now() - t0);
      sizes.push(JSON.stringify(d).length);
      prev = next;
    }
    const snapshotBytes = JSON.stringify(finalView).length;
    report.host = { buildFullMs: Math.round(buildFull), buildLive: stats(builds), diff: stats(diffs), deltaBytes: stats(sizes), snapshotBytes,
      points: finalView.memory.series.reduce((a, s) => a + s.t.length, 0), pointsPerSeries: finalView.memory.maxPointsPerSeries };
    t.diagnostic(`host: build ${Math.round(buildFull)} ms (full), live build median ${stats(builds).median} ms, diff median ${stats(diffs).median} ms; ` +
      `snapshot ${(snapshotBytes / 1e6).toFixed(2)} MB, delta median ${(stats(sizes).median / 1e3).toFixed(1)} kB`);
    assert.ok(finalView.memory.series.every((s) => s.t.length <= 2000));
    assert.ok(stats(sizes).max < snapshotBytes / 10);
  });

  it("webview: snapshot then 4 Hz deltas, main-thread time per update", async (t) => {
    const views: ProfileView[] = [];
    for (let i = 0; i <= STEPS; i++) views.push(buildProfileView(profileAt(full, START_MS + i * 250), { live: true }));
    const snap = await dispatch({ type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision: 1, view: views[0] as ProfileView });
    assert.ok(await canvasInk(w.page, "#wm-memory-chart") > 1000);
    const deltas: { applyMs: number; renderMs: number; longFrameMs: number }[] = [];
    for (let i = 1; i <= STEPS; i++) {
      const delta = diffProfileViews(views[i - 1] as ProfileView, views[i] as ProfileView);
      assert.ok(delta);
      deltas.push(await dispatch({ type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: i, revision: i + 1, delta }));
    }
    // The user switches to one metric per process with the Σ line (a full redraw from local data).
    const toggleMs = await w.page.evaluate(() => {
      const t0 = performance.now();
      (document.getElementById("wm-mode-rss") as HTMLInputElement).click();
      (document.getElementById("wm-show-sum") as HTMLInputElement).click();
      void document.body.offsetHeight;
      return performance.now() - t0;
    });
    await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    const last = views[STEPS] as ProfileView;
    const { formatBytes } = await import("../../src/core/view/format");
    assert.equal(await w.page.textContent('[data-total="sent"]'), formatBytes(last.totals.bytesSent));
    assert.ok(await canvasInk(w.page, "#wm-memory-chart") > 1000);
    assert.deepEqual(await w.problems(), []);
    const total = deltas.map((d) => d.applyMs + d.renderMs);
    const frames = deltas.map((d) => d.longFrameMs);
    report.webview = {
      processes: 64, samplesPerProcess: 12000, pointsPerSeries: (views[0] as ProfileView).memory.maxPointsPerSeries,
      snapshot: { applyMs: Math.round(snap.applyMs), renderMs: Math.round(snap.renderMs), longFrameMs: Math.round(snap.longFrameMs) },
      delta: { total: stats(total), apply: stats(deltas.map((d) => d.applyMs)), render: stats(deltas.map((d) => d.renderMs)), longFrame: stats(frames) },
      toggleMs: Math.round(toggleMs),
    };
    t.diagnostic(`webview, 64 processes × 12,000 samples (${(views[0] as ProfileView).memory.maxPointsPerSeries} points/series): ` +
      `snapshot ${Math.round(snap.applyMs + snap.renderMs)} ms; per 4 Hz delta: main thread median ${stats(total).median} ms ` +
      `(apply ${stats(deltas.map((d) => d.applyMs)).median} + render ${stats(deltas.map((d) => d.renderMs)).median}), p90 ${stats(total).p90}, max ${stats(total).max}; ` +
      `whole frame incl. layout/paint median ${stats(frames).median} ms; metric toggle ${Math.round(toggleMs)} ms`);
  });
});
