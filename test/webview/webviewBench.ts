/**
 * The webview update benchmark, shared by test/webview/bench.test.ts (which asserts correctness
 * only) and bench/webview-update.mjs (which prints the figures): a live run of 64 processes
 * (12,000 samples each by the end) as the panel sees it, a snapshot, then 4 Hz deltas of 250 ms
 * of new samples, built by the host's own view code (ViewCache, as ViewFeed keeps one) and
 * dispatched to the real webview bundle in Chromium.
 *
 * Per update it records the app's own main-thread figures (`perf`: the message handler, then the
 * next animation frame's render of every section it touched) and, from the DevTools protocol,
 * the renderer main thread's whole task time around it: the message's structured clone, style,
 * layout, paint and the canvas raster on commit (in software when there is no GPU), plus this
 * harness's own calls, whose cost `harnessMs` measures with the same calls and no update.
 */
import type { CDPSession } from "playwright-core";
import { renderWebviewShell } from "../../src/core/report/shell";
import { buildProfileView, ViewCache } from "../../src/core/view/build";
import { diffProfileViews } from "../../src/core/view/delta";
import { WEBVIEW_PROTOCOL_VERSION, type HostToWebviewMessage, type ProfileView } from "../../src/protocol/webview";
import type { Profile } from "../../src/protocol/profile";
import { makeBigProfile, profileAt } from "../unit/view-synthetic";
import { buildWebviewBundle, CSS_PATH, launch, watchedPage, writeArtifact, type Browser, type Watched } from "./support";

export const DELTA_MS = 250;

export interface Stats { median: number; p90: number; max: number; mean: number }

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  const r = (x: number) => Math.round(x * 10) / 10;
  return { median: r(at(0.5)), p90: r(at(0.9)), max: r(s[s.length - 1] as number), mean: r(xs.reduce((a, b) => a + b, 0) / xs.length) };
}

export interface UpdateTiming {
  /** The app's message handler (apply the snapshot or delta to its model). */
  applyMs: number;
  /** The app's render at the next animation frame (charts, tables, header). */
  renderMs: number;
  /** Longest long animation frame (≥ 50 ms, incl. style/layout/paint) the update caused, 0 if none. */
  longFrameMs: number;
  /** Renderer main-thread task time from dispatch to the frame after the render (incl. harness calls). */
  taskMs: number;
}

export interface BenchPage {
  browser: Browser;
  w: Watched;
  cdp: CDPSession;
  close(): Promise<void>;
}

/** The panel's page (strict CSP, bundle by URL) with a stubbed VS Code API, ready for messages. */
export async function openBenchPage(): Promise<BenchPage> {
  const bundlePath = await buildWebviewBundle();
  const { url } = writeArtifact("bench-panel.html", renderWebviewShell({
    nonce: "YmVuY2gtbm9uY2UtMTIzNDU=", cspSource: "file:", scriptUri: `file://${bundlePath}`, styleUri: `file://${CSS_PATH}`, title: "bench",
  }));
  const browser = await launch();
  const w = await watchedPage(browser.context);
  await w.page.addInitScript(() => {
    const win = window as unknown as { acquireVsCodeApi: () => unknown; __posted: unknown[]; __loaf: number[] };
    win.__posted = [];
    win.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => win.__posted.push(m), getState: () => undefined, setState: () => undefined });
    win.__loaf = [];
    try {
      new PerformanceObserver((list) => { for (const e of list.getEntries()) win.__loaf.push(e.duration); }).observe({ type: "long-animation-frame", buffered: false });
    } catch { /* not supported: longFrameMs stays 0 */ }
  });
  await w.page.goto(url);
  await w.page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
  const cdp = await w.page.context().newCDPSession(w.page);
  await cdp.send("Performance.enable");
  return { browser, w, cdp, close: () => browser.close() };
}

async function taskSeconds(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send("Performance.getMetrics");
  return metrics.find((m) => m.name === "TaskDuration")?.value ?? 0;
}

type PagePerf = { wmprofApp: { perf: { applyMs: number; renderMs: number; renders: number } }; __loaf: number[]; __msgs: HostToWebviewMessage[] };

/**
 * Hands the messages to the page ahead of time: playwright's transfer of a 40 kB argument costs
 * the page more than the app's whole update, and VS Code delivers messages by postMessage.
 */
export async function stage(b: BenchPage, messages: HostToWebviewMessage[]): Promise<void> {
  await b.w.page.evaluate((msgs) => { (window as unknown as PagePerf).__msgs = msgs; }, messages);
}

/**
 * Posts staged message `index` to the page (window.postMessage, structured clone, as in a VS Code
 * webview) and waits for its render and the frame after it.
 */
export async function dispatch(b: BenchPage, index: number): Promise<UpdateTiming> {
  const page = b.w.page;
  const t0 = await taskSeconds(b.cdp);
  const renders = await page.evaluate((i) => {
    const win = window as unknown as PagePerf;
    win.__loaf.length = 0;
    window.postMessage(win.__msgs[i], "*");
    return win.wmprofApp.perf.renders;
  }, index);
  await page.waitForFunction((r) => (window as unknown as PagePerf).wmprofApp.perf.renders > r, renders);
  // Let the frame finish (style, layout, paint, commit) and the observer report it.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  const after = await page.evaluate(() => {
    const win = window as unknown as PagePerf;
    return { applyMs: win.wmprofApp.perf.applyMs, renderMs: win.wmprofApp.perf.renderMs, longFrameMs: Math.max(0, ...win.__loaf) };
  });
  const t1 = await taskSeconds(b.cdp);
  return { ...after, taskMs: (t1 - t0) * 1000 };
}

/** `dispatch`'s own main-thread cost: the same calls around a frame with nothing to update. */
export async function harnessMs(b: BenchPage): Promise<number> {
  const page = b.w.page;
  const t0 = await taskSeconds(b.cdp);
  await page.evaluate(() => (window as unknown as PagePerf).__loaf.length);
  await page.waitForFunction(() => true);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  await page.evaluate(() => (window as unknown as PagePerf).__loaf.length);
  return ((await taskSeconds(b.cdp)) - t0) * 1000;
}

export interface RunOptions {
  /** The full run (default: makeBigProfile(), 64 processes × 12,000 samples). */
  profile?: Profile;
  /** Run time of the snapshot (ms). */
  startMs: number;
  deltas: number;
}

export interface RunResult {
  views: ProfileView[];
  snapshot: UpdateTiming;
  deltas: UpdateTiming[];
  deltaBytes: number[];
}

/** The snapshot at `startMs`, then `deltas` deltas of DELTA_MS each. */
export async function runUpdates(b: BenchPage, o: RunOptions): Promise<RunResult> {
  const full = o.profile ?? makeBigProfile();
  const cache = new ViewCache();
  const views: ProfileView[] = [];
  for (let i = 0; i <= o.deltas; i++) views.push(buildProfileView(profileAt(full, o.startMs + i * DELTA_MS), { live: true, cache }));
  const messages: HostToWebviewMessage[] = [{ type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision: 1, view: views[0] as ProfileView }];
  const deltaBytes: number[] = [];
  for (let i = 1; i <= o.deltas; i++) {
    const delta = diffProfileViews(views[i - 1] as ProfileView, views[i] as ProfileView);
    if (!delta) throw new Error(`no change between ${o.startMs + (i - 1) * DELTA_MS} and ${o.startMs + i * DELTA_MS} ms`);
    deltaBytes.push(JSON.stringify(delta).length);
    messages.push({ type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: i, revision: i + 1, delta });
  }
  await stage(b, messages);
  const snapshot = await dispatch(b, 0);
  const deltas: UpdateTiming[] = [];
  for (let i = 1; i <= o.deltas; i++) deltas.push(await dispatch(b, i));
  return { views, snapshot, deltas, deltaBytes };
}

export interface Summary {
  pointsPerSeries: number;
  snapshot: UpdateTiming;
  /** Per delta: the app's time (total = apply + render), long frames, whole task time, message size. */
  delta: Record<"total" | "apply" | "render" | "longFrame" | "task" | "bytes", Stats>;
  harnessMs: number;
}

/** The median of a few measurements of `dispatch`'s own cost. */
export async function harnessMedian(b: BenchPage, n = 3): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(await harnessMs(b));
  return stats(xs).median;
}

/** Summary of a run: per-delta app time (apply + render) and whole task time, the snapshot. */
export function summarize(r: RunResult, harness: number): Summary {
  const total = r.deltas.map((d) => d.applyMs + d.renderMs);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    pointsPerSeries: (r.views[0] as ProfileView).memory.maxPointsPerSeries,
    snapshot: { applyMs: round(r.snapshot.applyMs), renderMs: round(r.snapshot.renderMs), longFrameMs: round(r.snapshot.longFrameMs), taskMs: round(r.snapshot.taskMs) },
    delta: {
      total: stats(total),
      apply: stats(r.deltas.map((d) => d.applyMs)),
      render: stats(r.deltas.map((d) => d.renderMs)),
      longFrame: stats(r.deltas.map((d) => d.longFrameMs)),
      task: stats(r.deltas.map((d) => d.taskMs)),
      bytes: stats(r.deltaBytes),
    },
    harnessMs: round(harness),
  };
}
