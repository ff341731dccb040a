// Webview update time (issue 7: "a webview update for 64 processes stays under 16 ms of
// main-thread work, measured in Chromium"). A live run of 64 processes × 12,000 samples, as the
// panel sees it: a snapshot, then 4 Hz deltas, dispatched to the real webview bundle in Debian's
// Chromium (test/webview/webviewBench.ts, shared with test/webview/bench.test.ts).
//
//   node bench/webview-update.mjs [--rounds 3] [--deltas 60] [--start 580] [--json]
//
// Each round opens a fresh page, sends the snapshot at --start seconds and --deltas deltas of
// 250 ms. The deltas cross steps of the live time axis at their natural rate (about one in 40 at
// 10 minutes), so the occasional re-layout is in the figures. Prints per round and the median over
// rounds of: the app's main-thread time per delta (message handler + the frame's render), its
// p90, the snapshot's, and the renderer's whole main-thread task time per delta (style, layout,
// paint, canvas raster; the harness's own share is printed apart).
import process from "node:process";
import console from "node:console";

function opt(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}
const ROUNDS = Math.max(1, opt("rounds", 3));
const DELTAS = Math.max(2, opt("deltas", 60));
const START_MS = opt("start", 580) * 1000;
const JSON_OUT = process.argv.includes("--json");

// The benchmark is TypeScript, shared with the test: load it through tsx (what `node --import tsx`
// does for the tests and bench/suite/ingest.ts).
await import("tsx");
// (CommonJS modules: their exports arrive as the default export.)
const load = async (path) => { const m = await import(path); return m.default ?? m; };
const bench = await load("../test/webview/webviewBench.ts");
const { makeBigProfile } = await load("../test/unit/view-synthetic.ts");
const { openBenchPage, runUpdates, summarize, harnessMedian, stats } = bench;

const full = makeBigProfile();
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const page = await openBenchPage();
  try {
    const run = await runUpdates(page, { profile: full, startMs: START_MS, deltas: DELTAS });
    const problems = await page.w.problems();
    if (problems.length > 0) throw new Error(`page problems: ${problems.join("; ")}`);
    const s = summarize(run, await harnessMedian(page));
    rounds.push(s);
    if (!JSON_OUT) {
      const d = s.delta;
      console.log(`round ${r + 1}: delta median ${d.total.median} ms, p90 ${d.total.p90}, max ${d.total.max} (apply ${d.apply.median} + render ${d.render.median}); ` +
        `snapshot ${(s.snapshot.applyMs + s.snapshot.renderMs).toFixed(1)} ms; whole task median ${d.task.median} ms, p90 ${d.task.p90} (harness ${s.harnessMs} ms)`);
    }
  } finally {
    await page.close();
  }
}

const med = (f) => stats(rounds.map(f)).median;
const result = {
  processes: 64, samplesPerProcess: 12000, pointsPerSeries: rounds[0].pointsPerSeries, rounds: ROUNDS, deltasPerRound: DELTAS, startS: START_MS / 1000,
  delta: { median: med((s) => s.delta.total.median), p90: med((s) => s.delta.total.p90), max: med((s) => s.delta.total.max), applyMedian: med((s) => s.delta.apply.median), renderMedian: med((s) => s.delta.render.median) },
  snapshotMs: med((s) => s.snapshot.applyMs + s.snapshot.renderMs),
  task: { median: med((s) => s.delta.task.median), p90: med((s) => s.delta.task.p90), snapshot: med((s) => s.snapshot.taskMs), harness: med((s) => s.harnessMs) },
  deltaBytes: med((s) => s.delta.bytes.median),
  perRound: rounds,
};
if (JSON_OUT) console.log(JSON.stringify(result));
else {
  console.log(`\n64 processes × 12,000 samples (${result.pointsPerSeries} points/series), median of ${ROUNDS} rounds × ${DELTAS} deltas:`);
  console.log(`  per delta (apply + render): median ${result.delta.median} ms, p90 ${result.delta.p90} ms, max ${result.delta.max} ms`);
  console.log(`  snapshot (apply + render): ${result.snapshotMs} ms`);
  console.log(`  renderer main-thread task time per delta: median ${result.task.median} ms, p90 ${result.task.p90} ms (incl. ${result.task.harness} ms of harness); snapshot ${result.task.snapshot} ms`);
  console.log(`  delta message: median ${(result.deltaBytes / 1000).toFixed(1)} kB`);
}
