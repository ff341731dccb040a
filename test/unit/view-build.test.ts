import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import {
  buildComparisonView, buildProfileView, MAX_POINTS_PER_SERIES, pointsPerSeries, processKeys, scriptTitle, ViewCache, viewHasSite,
} from "../../src/core/view/build";
import type { Profile } from "../../src/protocol/profile";
import { loadSampleProfile, makeBigProfile, profileAt } from "./view-synthetic";

describe("buildProfileView (sample fixture)", () => {
  const profile = loadSampleProfile();
  const view = buildProfileView(profile);

  it("carries the header totals and meta", () => {
    assert.equal(view.kind, "profile");
    assert.equal(view.meta.title, "pool_demo.py");
    assert.equal(view.meta.live, false);
    assert.equal(view.totals.wallMs, profile.wallMs);
    assert.equal(view.totals.bytesSent, profile.totals.bytesSent);
    assert.equal(view.totals.peakPssSum, profile.totals.peakPssSum);
    assert.equal(view.totals.peakRssSum, profile.totals.peakRssSum);
    assert.equal(view.totals.findings, 2);
    assert.equal(buildProfileView(profile, { live: true }).meta.live, true);
  });

  it("has one memory series per process, labelled with role and pid, undecimated when small", () => {
    assert.equal(view.memory.series.length, profile.processes.length);
    const w = view.memory.series.find((s) => s.pid === 4102);
    assert.equal(w?.label, "worker 4102 (ForkPoolWorker-1)");
    const src = profile.processes.find((p) => p.pid === 4102);
    assert.deepEqual(w?.t, src?.samples.map((s) => s.t));
    assert.deepEqual(w?.uss, src?.samples.map((s) => s.uss));
  });

  it("sums memory on a common grid; its peaks match the profile's Σ peaks", () => {
    const sum = view.memory.sum;
    assert.ok(sum);
    assert.equal(Math.max(...sum.rss), profile.totals.peakRssSum);
    assert.equal(Math.max(...(sum.pss as number[])), profile.totals.peakPssSum);
  });

  it("aggregates call sites by site × channel × direction, biggest first", () => {
    // pool_demo.py:42 sends 96 MiB of tasks; line 18 receives the same 96 MiB in two workers.
    assert.deepEqual(view.copies.sites.slice(0, 2).map((r) => `${r.site?.line} ${r.channel} ${r.direction}`).sort(), ["18 pool recv", "42 pool send"]);
    const recv18 = view.copies.sites.find((r) => r.site?.line === 18);
    assert.equal(recv18?.bytes, 96 * 1048576);
    assert.equal(recv18?.count, 48);
    assert.equal(recv18?.processes, 2);
    assert.ok(Math.abs((recv18?.pickleMs ?? 0) - 230) < 1e-6);
    for (let i = 1; i < view.copies.sites.length; i++) assert.ok((view.copies.sites[i - 1]?.bytes ?? 0) >= (view.copies.sites[i]?.bytes ?? 0));
    assert.deepEqual(view.copies.timeline.channels.map((c) => c.channel), ["pool", "process-args", "queue"]);
    assert.equal(view.copies.timeline.channels.find((c) => c.channel === "process-args")?.total, 3 * 1048576);
  });

  it("builds process rows with lifetime, exit code, peaks, COW and bytes", () => {
    const row = view.processes.find((p) => p.pid === 4103);
    const src = profile.processes.find((p) => p.pid === 4103);
    assert.equal(row?.startMethod, "fork");
    assert.equal(row?.lifetimeMs, 2900 - 420);
    assert.equal(row?.peakRss, src?.peak.rss);
    assert.equal(row?.cowBrokenBytes, src?.cowBrokenBytes);
    assert.equal(row?.bytesReceived, 46 * 1048576);
    assert.equal(view.processes.find((p) => p.pid === 4110)?.exitCode, 1);
  });

  it("lists shared memory and findings (errors first)", () => {
    assert.equal(view.sharedMemory[0]?.name, "psm_5f1e2a");
    assert.deepEqual(view.sharedMemory[0]?.attachedPids, [4102, 4103]);
    assert.deepEqual(view.findings.map((f) => f.severity), ["error", "warning"]);
    assert.equal(view.findings[1]?.site?.line, 42);
  });

  it("knows which sites it shows (the host opens only those)", () => {
    assert.ok(viewHasSite(view, "/home/dev/proj/pool_demo.py", 42));
    assert.ok(viewHasSite(view, "/home/dev/proj/pool_demo.py", 35)); // shared memory creation
    assert.ok(!viewHasSite(view, "/etc/passwd", 1));
    assert.ok(!viewHasSite(null, "/home/dev/proj/pool_demo.py", 42));
  });

  it("is plain JSON (survives postMessage / embedding unchanged)", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(view)), view);
  });
});

describe("buildProfileView without PSS", () => {
  it("keeps PSS null and the Σ PSS null", () => {
    const p = makeBigProfile({ processes: 3, samples: 500, pss: false });
    const v = buildProfileView(p);
    assert.equal(v.meta.pss, false);
    assert.ok(v.memory.series.every((s) => s.pss.every((x) => x === null)));
    assert.ok(v.memory.sum?.pss.every((x) => x === null));
    assert.equal(v.totals.peakPssSum, null);
  });
});

describe("buildProfileView (64 processes × 12,000 samples)", () => {
  const profile = makeBigProfile();
  const view = buildProfileView(profile);

  it("decimates every series to ≤ 2,000 points (500 at 64 processes), keeping extremes", () => {
    assert.equal(view.memory.maxPointsPerSeries, 500);
    for (const s of view.memory.series) {
      assert.ok(s.t.length <= MAX_POINTS_PER_SERIES && s.t.length <= view.memory.maxPointsPerSeries, `${s.key}: ${s.t.length}`);
      assert.equal(s.samples, 12000);
      const src = profile.processes.find((p) => p.pid === s.pid);
      assert.ok(src);
      assert.equal(Math.max(...s.rss), Math.max(...src.samples.map((x) => x.rss)), `${s.key} max RSS kept`);
      assert.equal(Math.min(...s.rss), Math.min(...src.samples.map((x) => x.rss)), `${s.key} min RSS kept`);
      assert.equal(Math.max(...(s.privateDirty as number[])), src.peak.privateDirty, `${s.key} max private dirty kept`);
      assert.equal(s.t[0], 0);
      assert.equal(s.t[s.t.length - 1], src.samples[src.samples.length - 1]?.t);
    }
    assert.ok((view.memory.sum?.t.length ?? 0) <= MAX_POINTS_PER_SERIES);
    assert.ok(view.copies.timeline.t.length <= MAX_POINTS_PER_SERIES);
  });

  it("honours an explicit points budget, capped at 2,000", () => {
    const v = buildProfileView(makeBigProfile({ processes: 2, samples: 9000 }), { maxPointsPerSeries: 5000 });
    assert.equal(v.memory.maxPointsPerSeries, 2000);
    assert.ok(v.memory.series.every((s) => s.t.length <= 2000));
  });
});

describe("buildProfileView with a ViewCache (live rebuilds)", () => {
  it("gives exactly the view a fresh build gives, at every step, across bucket-width changes", () => {
    const full = makeBigProfile({ processes: 4, samples: 9000, seed: 9 });
    const cache = new ViewCache();
    // Steps of 5 samples, plus jumps that double the bucket width, plus a step back (restart).
    const times = [10_000, 40_000, 40_250, 40_500, 99_000, 101_000, 101_250, 101_500, 200_000, 200_250, 449_950, 300_000, 300_250];
    for (const t of times) {
      const p = profileAt(full, t);
      const cached = buildProfileView(p, { live: true, cache, maxPointsPerSeries: 500 });
      const fresh = buildProfileView(p, { live: true, maxPointsPerSeries: 500 });
      assert.deepEqual(cached, fresh, `t=${t}`);
    }
    assert.equal(cache.series.size, 4);
  });

  it("drops state for processes that are gone and for samples that do not match", () => {
    const cache = new ViewCache();
    const a = makeBigProfile({ processes: 3, samples: 3000, seed: 1 });
    buildProfileView(a, { cache, maxPointsPerSeries: 500 });
    const b = makeBigProfile({ processes: 2, samples: 3000, seed: 2 }); // same pids, other values
    assert.deepEqual(buildProfileView(b, { cache, maxPointsPerSeries: 500 }), buildProfileView(b, { maxPointsPerSeries: 500 }));
    assert.equal(cache.series.size, 2);
  });
});

describe("helpers", () => {
  it("pointsPerSeries halves per doubling above 16 processes", () => {
    assert.deepEqual([1, 16, 17, 32, 33, 64, 65, 128, 129, 1000].map(pointsPerSeries), [2000, 2000, 1000, 1000, 500, 500, 250, 250, 125, 125]);
  });
  it("scriptTitle", () => {
    assert.equal(scriptTitle(["/a/b/c.py", "x"]), "c.py");
    assert.equal(scriptTitle(["-m", "pkg.mod"]), "pkg.mod");
    assert.equal(scriptTitle(["C:\\x\\y.py"]), "y.py");
    assert.equal(scriptTitle([]), "(unknown script)");
  });
  it("processKeys disambiguates reused pids and threads", () => {
    const p = (pid: number, tid?: number) => ({ pid, tid }) as Profile["processes"][number];
    assert.deepEqual(processKeys([p(1), p(2), p(1), p(1, 3), p(1)]), ["1", "2", "1#2", "1:t3", "1#3"]);
  });
});

describe("buildComparisonView", () => {
  it("one row per profile, labels disambiguated, figures from totals", () => {
    const a = loadSampleProfile();
    const b = loadSampleProfile();
    b.totals.bytesSent = 1;
    const c = makeBigProfile({ processes: 2, samples: 10, pss: false });
    const v = buildComparisonView([a, b, c]);
    assert.deepEqual(v.rows.map((r) => r.label), ["pool_demo.py (1)", "pool_demo.py (2)", "big_job.py"]);
    assert.equal(v.rows[1]?.bytesCopied, 1);
    assert.equal(v.rows[0]?.findings, 2);
    assert.equal(v.rows[0]?.peakPssSum, a.totals.peakPssSum);
    assert.equal(v.pss, false);
  });
});
