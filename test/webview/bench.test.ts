/**
 * Benchmark-ish: a 10-minute run of 64 processes (12,000 samples each) through the view model and
 * the webview in Chromium, as the live panel would see it (a snapshot, then 4 Hz deltas of 250 ms
 * of new samples; test/webview/webviewBench.ts). Prints main-thread time per update and writes
 * test-artifacts/bench.json; `node bench/webview-update.mjs` runs longer for steadier figures.
 * Asserts correctness only (drawn, bounded sizes), never time: the CI box has 2 shared cores.
 */
import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildProfileView, ViewCache } from "../../src/core/view/build";
import { diffProfileViews } from "../../src/core/view/delta";
import { formatBytes } from "../../src/core/view/format";
import type { ProfileView } from "../../src/protocol/webview";
import { makeBigProfile, profileAt } from "../unit/view-synthetic";
import { ARTIFACTS, canvasInk } from "./support";
import { DELTA_MS, harnessMedian, openBenchPage, runUpdates, stats, summarize, type BenchPage } from "./webviewBench";

const STEPS = 12;
const START_MS = 590_000;

describe("benchmark: 64 processes × 12,000 samples", () => {
  let b: BenchPage;
  const report: Record<string, unknown> = {};
  const full = makeBigProfile();

  before(async () => {
    b = await openBenchPage();
  });

  after(async () => {
    await b?.close();
    writeFileSync(join(ARTIFACTS, "bench.json"), JSON.stringify(report, null, 2) + "\n");
  });

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
      const p = profileAt(full, START_MS + i * DELTA_MS);
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
    const run = await runUpdates(b, { profile: full, startMs: START_MS, deltas: STEPS });
    assert.ok(await canvasInk(b.w.page, "#wm-memory-chart") > 1000);
    // The user switches to one metric per process with the Σ line (a full redraw from local data).
    const toggleMs = await b.w.page.evaluate(() => {
      const t0 = performance.now();
      (document.getElementById("wm-mode-rss") as HTMLInputElement).click();
      (document.getElementById("wm-show-sum") as HTMLInputElement).click();
      void document.body.offsetHeight;
      return performance.now() - t0;
    });
    await b.w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    const last = run.views[STEPS] as ProfileView;
    assert.equal(await b.w.page.textContent('[data-total="sent"]'), formatBytes(last.totals.bytesSent));
    assert.equal(await b.w.page.locator("#wm-memory-table tbody tr").count(), 64);
    assert.equal(await b.w.page.locator("#wm-processes-table tbody tr").count(), 64);
    assert.ok(await canvasInk(b.w.page, "#wm-memory-chart") > 1000);
    assert.deepEqual(await b.w.problems(), []);
    const harness = await harnessMedian(b);
    const s = summarize(run, harness);
    report.webview = { processes: 64, samplesPerProcess: 12000, ...s, toggleMs: Math.round(toggleMs) };
    const d = s.delta;
    t.diagnostic(`webview, 64 processes × 12,000 samples (${(run.views[0] as ProfileView).memory.maxPointsPerSeries} points/series): ` +
      `snapshot ${Math.round(s.snapshot.applyMs + s.snapshot.renderMs)} ms; per 4 Hz delta: main thread median ${d.total.median} ms ` +
      `(apply ${d.apply.median} + render ${d.render.median}), p90 ${d.total.p90}, max ${d.total.max}; ` +
      `whole renderer task time median ${d.task.median} ms, p90 ${d.task.p90} (incl. style, layout, paint, raster, and ${harness} ms of this harness); ` +
      `metric toggle ${Math.round(toggleMs)} ms`);
  });
});
