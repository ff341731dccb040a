// Renders bench/results.md (everything measured) and bench/headline.md (the compact table for
// the README) from the result object bench/run.mjs builds. Pure functions of that object.

const MiB = 2 ** 20;
const mib = (b) => (b === null || b === undefined ? "–" : `${(b / MiB).toFixed(b >= 100 * MiB ? 0 : 1)} MiB`);
const kib2mib = (k) => (k === null || k === undefined ? "–" : mib(k * 1024));
/** Median of the finite numbers in xs; null if there are none. */
export const median = (xs) => {
  const s = xs.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * 95 % bootstrap interval of the median of xs: 2,000 resamples from a fixed seed, so the same
 * data always gives the same interval. null with fewer than 3 values.
 */
export function medianInterval(xs, resamples = 2000) {
  const v = xs.filter((a) => typeof a === "number" && Number.isFinite(a));
  if (v.length < 3) return null;
  let seed = 0x2545f491;
  const rand = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const meds = [];
  const sample = new Array(v.length);
  for (let i = 0; i < resamples; i++) {
    for (let j = 0; j < v.length; j++) sample[j] = v[Math.floor(rand() * v.length)];
    meds.push(median(sample));
  }
  meds.sort((a, b) => a - b);
  return [meds[Math.floor(0.025 * (resamples - 1))], meds[Math.ceil(0.975 * (resamples - 1))]];
}

/**
 * Whether a "ratio ≤ target" goal is met, judged on the median's 95 % interval rather than the
 * median alone (on a shared VM one round's ratio swings ±15 %): "yes" when the whole interval is
 * at or under the target, "no" when it is all above, otherwise "inconclusive". floor: the ratio
 * that no tool of this kind can go under (node's own start-up); above the target it decides.
 */
export function ratioVerdict(med, interval, target, floor = null) {
  if (med === null || med === undefined) return { verdict: "no", by: "not measured" };
  const over = (r) => `${r > target ? "+" : ""}${((r / target - 1) * 100).toFixed(1)} %`;
  if (floor !== null && floor > target) {
    return { verdict: "no", by: `out of reach here: node's own start-up alone makes ${x(floor, 3)} (median ${x(med, 3)})` };
  }
  if (!interval) return med <= target ? { verdict: "yes", by: "" } : { verdict: "no", by: `${over(med)} over` };
  if (interval[1] <= target) return { verdict: "yes", by: "" };
  if (interval[0] > target) return { verdict: "no", by: `${over(med)} over; 95 % interval ${sp(interval, 3)}` };
  return { verdict: "inconclusive", by: `95 % interval ${sp(interval, 3)} spans the target` };
}

const x = (r, d = 2) => (r === null || r === undefined ? "–" : `${r.toFixed(d)}×`);
const sp = (s, d = 2) => (s ? `${s[0].toFixed(d)}–${s[1].toFixed(d)}` : "");
const pct = (v, d = 1) => (v === null || v === undefined ? "–" : `${v >= 0 ? "+" : ""}${v.toFixed(d)} %`);
const sec = (s) => (s === null || s === undefined ? "–" : s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const NAMES = { plain: "plain", wmprof: "wmprof", harness: "harness only", scalene: "Scalene", mprof: "mprof" };

function range(vals) {
  const v = vals.filter((a) => a !== null && a !== undefined);
  if (!v.length) return "–";
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function failures(s) {
  const parts = [];
  if (s.timedOut) parts.push(`hung ${s.timedOut}/${s.runs}`);
  if (s.failed) parts.push(`failed ${s.failed}/${s.runs}`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  return parts.join(", ");
}

/** What a tool saw in one workload, summarised over its successful runs. */
export function sawChildren(tool, s) {
  const seen = s.seen;
  if (tool === "plain" || tool === "harness" || !seen.length) return tool === "plain" || tool === "harness" ? "–" : "no output";
  if (tool === "wmprof") return `${range(seen.map((v) => v.children))} processes (${[...new Set(seen.flatMap((v) => v.childRoles ?? []))].join(", ") || "none"})`;
  if (tool === "mprof") return `${range(seen.map((v) => v.children))} CHLD pids`;
  if (tool === "scalene") {
    const withProfile = seen.filter((v) => v.profile);
    if (!withProfile.length) return `no profile in ${seen.length}/${seen.length} runs`;
    const cpuSeen = withProfile.filter((v) => v.childCpuSeen).length;
    const none = seen.length - withProfile.length;
    return `child CPU in ${cpuSeen}/${seen.length} runs${none ? ` (${none} empty profiles)` : ""}`;
  }
  return "?";
}

function copyCell(tool, s) {
  if (tool !== "wmprof") return tool === "plain" || tool === "harness" ? "–" : tool === "scalene" ? "no (memcpy rate only)" : "no";
  const v = s.seen.filter((a) => a.exact !== null);
  if (!v.length) return s.seen.length ? `${fmtBytes(s.seen[0].copyBytes)} (no ground truth)` : "–";
  const verdicts = [...new Set(v.map((a) => (a.exact ? (a.verdict === "exact" ? "exact" : "exact + sentinels") : a.verdict)))];
  const bytes = v[0].copyBytes;
  return `${fmtBytes(bytes)}: ${verdicts.join(" / ")} (${v.filter((a) => a.exact).length}/${v.length})`;
}

function fmtBytes(b) {
  if (b === null || b === undefined) return "–";
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= MiB) return `${(b / MiB).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} B`;
}

function memCell(tool, s) {
  const v = s.seen.filter((a) => a.mem !== null && a.mem !== undefined);
  if (tool === "plain" || tool === "harness") return "–";
  if (!v.length) return tool === "scalene" ? "none" : "–";
  const med = v.map((a) => a.mem).sort((a, b) => a - b)[v.length >> 1];
  const kind = tool === "wmprof" ? "Σ PSS" : tool === "mprof" ? "Σ RSS" : "footprint";
  return `${kind} ${mib(med)}`;
}

function profilerRss(tool, s, plain) {
  if (tool === "plain" || tool === "harness") return "–";
  if (tool === "scalene") {
    const extra = s.parentRssKiB !== null && plain?.parentRssKiB ? s.parentRssKiB - plain.parentRssKiB : null;
    return `launcher ${kib2mib(s.selfHwmKiB)}; in-process ${extra === null ? "–" : `+${kib2mib(extra)}`}`;
  }
  return kib2mib(s.selfHwmKiB);
}

function parentRss(tool, s, plain) {
  if (s.parentRssKiB === null) return "–";
  if (tool === "plain" || !plain?.parentRssKiB) return kib2mib(s.parentRssKiB);
  const d = s.parentRssKiB - plain.parentRssKiB;
  return `${kib2mib(s.parentRssKiB)} (${d >= 0 ? "+" : "−"}${kib2mib(Math.abs(d))})`;
}

function loadLine(m) {
  const f = (a) => a.map((v) => v.toFixed(2)).join(" ");
  return `load average ${f(m.loadStart)} at start, ${f(m.loadEnd)} at the end`;
}

/**
 * The wall ratio with the fixed start-up and shutdown cost taken out, round by round: (wmprof's
 * wall − what it adds to the empty script (0), medians) ÷ plain's wall of the same round, then the
 * median. The fixed cost is a constant, not a ratio: this is what a longer run of the same
 * workload would approach.
 */
function withoutStartup(result, id) {
  const e = result.stats["0"];
  if (!e?.wmprof?.wall || !e?.plain?.wall) return "";
  const fixed = e.wmprof.wall - e.plain.wall;
  const ok = (tool) => result.runs.filter((r) => r.workload === id && r.tool === tool && r.ok && r.wall);
  const plainBy = new Map(ok("plain").map((r) => [r.round, r.wall]));
  const m = median(ok("wmprof").filter((r) => plainBy.has(r.round)).map((r) => (r.wall - fixed) / plainBy.get(r.round)));
  return m === null ? "" : `. Without the fixed start-up (+${(fixed * 1000).toFixed(0)} ms, from (0)): ${x(m, 3)}`;
}

export function targets(result) {
  const st = result.stats;
  const rows = [];
  const wm = (id) => st[id]?.wmprof;
  for (const w of result.workloads.filter((a) => a.target)) {
    const s = wm(w.id);
    if (!s) continue;
    const h = st[w.id]?.harness;
    const plainWall = st[w.id]?.plain?.wall;
    const floor = result.nodeStart?.ms && plainWall ? 1 + result.nodeStart.ms / 1000 / plainWall : null;
    rows.push({
      what: `(${w.id}) wall time, wmprof ÷ plain`, target: `≤ ${w.target.toFixed(2)}×`,
      measured: `${x(s.wallRatio, 3)} [${sp(s.wallSpread, 3)}], 95 % interval of the median ${s.wallInterval ? sp(s.wallInterval, 3) : "–"}; CPU ${x(s.cpuRatio, 3)}; in-script loop ${x(s.loopRatio, 3)}` +
        (h?.wallRatio ? `. Harness alone (no node): wall ${x(h.wallRatio, 3)} [interval ${h.wallInterval ? sp(h.wallInterval, 3) : "–"}], CPU ${x(h.cpuRatio, 3)}, loop ${x(h.loopRatio, 3)}` : "") +
        withoutStartup(result, w.id) +
        (floor ? `. Node's own start-up alone (\`node -e 0\`, ${result.nodeStart.ms.toFixed(0)} ms): ${x(floor, 3)}` : ""),
      ...ratioVerdict(s.wallRatio, s.wallInterval, w.target, floor),
    });
  }
  const f = wm("f");
  if (f) {
    rows.push({ what: "(f) profiler (node) CPU while 32 workers run", target: "≤ 2 % of one core",
      measured: `${f.steadyCpuPct === null ? "–" : f.steadyCpuPct.toFixed(2)} % [${sp(f.steadyCpuSpread)}], 95 % interval of the median ${f.steadyCpuInterval ? sp(f.steadyCpuInterval) : "–"} %`,
      ...ratioVerdict(f.steadyCpuPct, f.steadyCpuInterval, 2) });
  }
  const ing = result.ingest;
  if (ing && !ing.error) {
    const m1 = ing.eventsPerSecond >= 1e6;
    rows.push({ what: `host ingest (decoder + model), ${(ing.options.messages / 1e6).toFixed(0)}M messages`, target: "≥ 1M events/s", measured: `${(ing.eventsPerSecond / 1e6).toFixed(2)}M events/s`, verdict: m1 ? "yes" : "no", by: m1 ? "" : `${((1 - ing.eventsPerSecond / 1e6) * 100).toFixed(0)} % short` });
    const m2 = ing.heapKeptBytes < 200 * MiB;
    rows.push({ what: `model memory, ${(ing.options.messages / 1e6).toFixed(0)}M-message run`, target: "< 200 MB", measured: `${mib(ing.heapKeptBytes)} kept on the heap; process peak RSS ${mib(ing.peakRssBytes)}`, verdict: m2 ? "yes" : "no", by: m2 ? "" : "over" });
  }
  const wv = result.webview;
  if (wv && !wv.error) {
    const met = wv.delta.median < 16 && wv.delta.p90 < 16;
    rows.push({ what: `webview update, 64 processes × 12,000 samples (${wv.rounds} × ${wv.deltasPerRound} deltas)`, target: "< 16 ms main thread (median and p90)",
      measured: `median ${wv.delta.median} ms, p90 ${wv.delta.p90} ms (apply + render); snapshot ${wv.snapshotMs} ms; whole renderer task median ${wv.task.median} ms, p90 ${wv.task.p90} ms incl. ${wv.task.harness} ms harness`,
      verdict: met ? "yes" : "no", by: met ? "" : `${(Math.max(wv.delta.median, wv.delta.p90) - 16).toFixed(1)} ms over` });
  }
  return rows;
}

function nodeStartNote(ns) {
  if (!ns?.ms) return "";
  return ` Of that, node's own start-up (\`node -e 0\`) is ${ns.ms.toFixed(0)} ms` +
    (ns.extraCa ? `, ${ns.withoutExtraCaMs.toFixed(0)} ms without the machine's NODE_EXTRA_CA_CERTS (node parses that CA bundle at start-up, nodejs/node#40524)` : "") + ".";
}

/** Total and per-function bytecodes per round trip, plain and harness, as markdown lines. */
function bytecodeLines(b) {
  const sum = (o) => Object.values(o).reduce((a, v) => a + v, 0);
  const p = sum(b.plain);
  const h = sum(b.harness);
  const L = [`(${b.workload}) Python bytecodes per round trip, both processes and every thread (${b.n[0]} and ${b.n[1]} round trips, the difference): ` +
    `plain ${p.toFixed(0)}, harness ${h.toFixed(0)} (+${(h - p).toFixed(0)}, ${pct((100 * (h - p)) / p)}). The functions that differ (the rest run the same bytecodes either way):`, ""];
  L.push("| function (file) | plain | harness | difference |", "| --- | --- | --- | --- |");
  // Only what differs: every other function runs the same bytecodes with and without the harness.
  const names = [...new Set([...Object.keys(b.plain), ...Object.keys(b.harness)])]
    .filter((k) => Math.abs((b.harness[k] ?? 0) - (b.plain[k] ?? 0)) >= 0.5)
    .sort((a, c) => Math.abs((b.harness[c] ?? 0) - (b.plain[c] ?? 0)) - Math.abs((b.harness[a] ?? 0) - (b.plain[a] ?? 0)) || a.localeCompare(c));
  for (const k of names) {
    const a = b.plain[k] ?? 0;
    const c = b.harness[k] ?? 0;
    L.push(`| ${k} | ${a.toFixed(1)} | ${c.toFixed(1)} | ${c - a >= 0 ? "+" : ""}${(c - a).toFixed(1)} |`);
  }
  L.push("");
  return L;
}

function dominant(result) {
  const notes = [];
  const st = result.stats;
  const z = st["0"];
  if (z?.wmprof && z?.plain && z.wmprof.wall !== null && z.plain.wall !== null) {
    const fixed = z.wmprof.wall - z.plain.wall;
    const parts = ["a", "b", "c", "d"].filter((id) => st[id]?.plain?.wall).map((id) => `${(100 * fixed / st[id].plain.wall).toFixed(1)} % of (${id})`);
    notes.push(`Fixed cost of \`wmprof run\` (workload 0, an empty script): ${sec(fixed)} more wall time than plain python ` +
      `(node start-up and bundle load, the runner, the drain and writing the profile), i.e. ${parts.join(", ")} at these sizes; ` +
      `the in-script loop ratio excludes it.` + nodeStartNote(result.nodeStart));
  }
  for (const h of result.diag?.hooks ?? []) {
    if (!h.harness || h.harness.error || !h.plain || h.plain.error) continue;
    const share = (100 * h.harness.harness) / h.harness.total;
    const added = h.harness.total - h.plain.total;
    const top = h.harness.top.slice(0, 4).map((r) => `\`${r.fn}\` (${r.where}, ${r.calls} calls, ${(1e6 * r.tottime / Math.max(1, r.calls)).toFixed(2)} µs/call)`).join(", ");
    notes.push(`(${h.workload}) cProfile of the parent process, all threads, ${h.n} round trips: harness code is ${share.toFixed(1)} % of the profiled time ` +
      `(${sec(h.harness.harness)} of ${sec(h.harness.total)}; the whole profiled time grew ${sec(added)} over plain, ${pct(100 * added / h.plain.total)}). Top: ${top}.`);
  }
  const it = result.diag?.importTime;
  if (it) {
    notes.push(`-X importtime, empty script: plain ${(it.plainUs / 1000).toFixed(1)} ms of imports, under the runner ${(it.runnerUs / 1000).toFixed(1)} ms ` +
      `(+${it.addedModules} modules, ${(it.addedUs / 1000).toFixed(1)} ms; largest: ${it.topAdded.map((r) => `${r.name} ${(r.selfUs / 1000).toFixed(1)} ms`).join(", ")}).`);
  }
  for (const w of result.workloads) {
    const a = st[w.id]?.plain?.minflt;
    const b = st[w.id]?.wmprof?.minflt;
    if (a && b && b / a > 1.3 && b - a > 50_000) {
      notes.push(`(${w.id}) page faults: the whole tree took ${(b / 1e3).toFixed(0)}k minor faults under wmprof against ${(a / 1e3).toFixed(0)}k plain (×${(b / a).toFixed(2)}, medians); ` +
        `kernel time for faulting fresh pages, not work in the hooks or in node, is what grows.`);
    }
  }
  for (const w of result.workloads) {
    if (!w.env) continue;
    notes.push(`(${w.id}) runs every tool, plain Python included, with ${Object.entries(w.env).map(([k, v]) => `${k}=${v}`).join(" ")}: unpinned, glibc's dynamic mmap threshold ` +
      `makes it bimodal in plain Python itself (the consumer's Connection._recv either reuses its 1 MiB buffers or maps fresh ones, decided by a race between reader ` +
      `and writer: 0.53M or 1.37M minor faults, 3.3 s or 6 s, for plain and harness alike in a check of 8 runs), and its ratios then follow which mode each run landed in.`);
  }
  for (const w of result.workloads) {
    const per = (tool) => result.runs.filter((r) => r.workload === w.id && r.tool === tool && r.ok && r.minflt).map((r) => r.minflt);
    const p = per("plain");
    if (p.length > 1 && Math.max(...p) / Math.min(...p) > 1.3) {
      const rng = (xs) => (xs.length ? `${(Math.min(...xs) / 1e3).toFixed(0)}k–${(Math.max(...xs) / 1e3).toFixed(0)}k` : "–");
      notes.push(`(${w.id}) is bimodal: plain python itself took ${rng(p)} minor page faults between rounds (wmprof ${rng(per("wmprof"))}, harness only ${rng(per("harness"))}, ` +
        `Scalene ${rng(per("scalene"))}, mprof ${rng(per("mprof"))}). The receiving process's glibc malloc either reuses its 1 MiB buffers or maps fresh ones ` +
        `(dynamic mmap threshold); with MALLOC_MMAP_THRESHOLD_ pinned, plain and the harness fault alike. Ratios here follow which mode each run landed in.`);
    }
  }
  const sp = result.diag?.sampler;
  if (sp?.top?.length) {
    notes.push(`wmprof's own process during (f) (\`node --cpu-prof\`, self time): ${sp.top.filter((r) => r.fn !== "(program)").slice(0, 6).map((r) => `${r.fn} ${r.pct.toFixed(0)} %`).join(", ")}.`);
  }
  const ip = result.ingestProfile;
  if (ip?.cpuProfileTop) {
    notes.push(`Host ingest, --cpu-prof of 1M messages (self time): ${ip.cpuProfileTop.slice(0, 6).map((r) => `${r.fn} ${r.pct.toFixed(0)} %`).join(", ")}.`);
  }
  return notes;
}

export function renderResults(result) {
  const m = result.machine;
  const st = result.stats;
  const L = [];
  L.push("# Benchmark results", "");
  L.push(`Generated by \`npm run bench${result.quick ? " -- --quick" : ""}\` (bench/run.mjs) on ${m.date.slice(0, 16).replace("T", " ")} UTC in ${result.minutes.toFixed(1)} min. ` +
    `Do not edit: run it again.`, "");
  L.push("## Machine", "");
  L.push(`- ${m.nproc} CPUs (${m.cpuModel.trim()}), ${m.memGiB.toFixed(1)} GiB memory, Linux ${m.kernel}`);
  L.push(`- ${loadLine(m)} (the machine is shared: other work ran during the benchmark)`);
  L.push(`- python ${result.versions.plain} (${result.python}), node ${m.node}, wmprof ${result.versions.wmprof ?? "–"}, ` +
    `Scalene ${result.versions.scalene ?? "not run"}, mprof (memory_profiler) ${result.versions.mprof ?? "not run"}, smem ${m.smem ?? "missing"}`);
  if (result.skipped.length) L.push(`- skipped: ${result.skipped.map((s) => `${s.tool} (${s.why})`).join("; ")}`);
  L.push(`- ${result.quick ? "**quick mode** (scaled-down workloads; a smoke run, not the figures to quote)" : "full mode"}; ${result.rounds} rounds; ` +
    `each round runs every tool once, in an order rotated every round; ratios are tool ÷ plain of the same round, then median [min–max]`, "");

  L.push("## Targets", "");
  L.push("| target | goal | measured (median [spread]) | met? |", "| --- | --- | --- | --- |");
  for (const t of targets(result)) {
    L.push(`| ${t.what} | ${t.target} | ${t.measured} | ${t.verdict === "yes" ? "yes" : t.verdict === "no" ? `**no** (${t.by})` : `*inconclusive* (${t.by})`} |`);
  }
  L.push("");

  L.push("## All workloads", "");
  L.push("Wall: the whole command, start-up included. CPU: user + system of the whole process tree (the profiler's own process included). " +
    "Loop: the workload's own timing of its main loop (no interpreter or profiler start-up). Profiler RSS: peak RSS of the profiler's own process " +
    "(node for wmprof, mprof's python; Scalene runs inside the profiled process and adds a launcher process). Parent RSS: the workload's parent " +
    "process (getrusage), where in-process profilers add their own memory.", "");
  L.push("| workload | tool | ok | wall | wall ÷ plain | CPU ÷ plain | loop ÷ plain | profiler RSS | parent RSS | saw children | copy bytes vs ground truth | memory figure |");
  L.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const w of result.workloads) {
    const plain = st[w.id]?.plain;
    for (const t of result.tools) {
      const s = st[w.id]?.[t.name];
      if (!s) continue;
      const fail = failures(s);
      const ratioCell = (r, spr) => (t.name === "plain" ? "1" : r === null ? "–" : `${x(r)} [${sp(spr)}]`);
      L.push(`| (${w.id}) ${w.title} | ${NAMES[t.name]} | ${s.ok}/${s.runs}${fail ? ` (${fail})` : ""} | ${sec(s.wall)} | ${ratioCell(s.wallRatio, s.wallSpread)} | ` +
        `${ratioCell(s.cpuRatio, s.cpuSpread)} | ${w.id === "0" ? "–" : ratioCell(s.loopRatio, s.loopSpread)} | ${profilerRss(t.name, s, plain)} | ${parentRss(t.name, s, plain)} | ` +
        `${sawChildren(t.name, s)} | ${copyCell(t.name, s)} | ${memCell(t.name, s)} |`);
    }
  }
  L.push("");
  const errs = [];
  for (const w of result.workloads) for (const t of result.tools) for (const e of st[w.id]?.[t.name]?.errors ?? []) errs.push(`- (${w.id}) ${NAMES[t.name]}: ${e}`);
  if (errs.length) L.push("Failures:", "", ...errs, "");

  // Accuracy
  L.push("## Memory figures against smem, (e) fork COW", "");
  if (!result.accuracy.length) {
    L.push("Not run (smem missing or (e) not selected).", "");
  } else {
    L.push("One extra run per tool: the children announce themselves when they have finished iterating the list and park; 0.6 s later the " +
      "tree's smaps are copied and smem (`smem -S`) computes Σ PSS / USS / RSS over the parent and both children; 0.6 s later they go on. " +
      "Each tool's own figure is its reported peak for the run (that moment is the run's peak: the parent holds the list, the children their private copies).", "");
    L.push("| tool | smem Σ PSS | smem Σ USS | smem Σ RSS | tool's figure | at that moment | vs smem, same figure | tool's peak for the run | peak vs smem Σ PSS | peak vs smem, same figure |");
    L.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const d = (v, ref) => (v !== null && v !== undefined && ref ? pct((100 * (v - ref)) / ref) : "–");
    for (const r of result.accuracy) {
      const s = r.sync ?? {};
      if (r.tool === "harness") continue;
      const head = `| ${NAMES[r.tool]}${r.ok ? "" : " (failed)"} | ${mib(s.pss)} | ${mib(s.uss)} | ${mib(s.rss)}`;
      const a = r.atMoment ?? {};
      if (r.tool === "plain") L.push(`${head} | – | – | – | – | – | – |`);
      else if (r.tool === "wmprof") {
        L.push(`${head} | Σ PSS | ${mib(a.pss)} | ${d(a.pss, s.pss)} | ${mib(r.seen?.peakPss)} | ${d(r.seen?.peakPss, s.pss)} | ${d(r.seen?.peakPss, s.pss)} |`);
        L.push(`| | | | | Σ RSS | ${mib(a.rss)} | ${d(a.rss, s.rss)} | ${mib(r.seen?.peakRss)} | ${d(r.seen?.peakRss, s.pss)} | ${d(r.seen?.peakRss, s.rss)} |`);
      } else if (r.tool === "mprof") {
        L.push(`${head} | Σ RSS (MEM + CHLD) | ${mib(a.rss)} | ${d(a.rss, s.rss)} | ${mib(r.seen?.mem)} | ${d(r.seen?.mem, s.pss)} | ${d(r.seen?.mem, s.rss)} |`);
      } else if (r.tool === "scalene") {
        L.push(`${head} | max footprint (malloc, parent only) | – | – | ${mib(r.seen?.mem ?? null)} | ${d(r.seen?.mem ?? null, s.pss)} | – |`);
      }
    }
    L.push("");
    L.push("smem's figures differ between rows because each row is its own run: under Scalene the same workload uses more memory.");
    const wr = result.accuracy.find((r) => r.tool === "wmprof");
    if (wr?.sync?.perPid && wr.atMoment?.perPid) {
      const parts = Object.entries(wr.sync.perPid).map(([pid, v]) => {
        const mine = wr.atMoment.perPid[pid];
        return `${v.role} ${mib(v.pss)} → ${mine ? mib(mine.pss) : "–"}${mine && v.pss ? ` (${pct((100 * (mine.pss - v.pss)) / v.pss)})` : ""}`;
      });
      L.push("", `wmprof per process at that moment, PSS smem → wmprof: ${parts.join("; ")}.`);
    }
    L.push("");
  }

  // Probe
  L.push(`## Spawn visibility, (g) ${result.probe.title}`, "");
  L.push("| tool | ok | workers really spawned? | what it saw of the workers | copy bytes | memory figure |", "| --- | --- | --- | --- | --- | --- |");
  for (const r of result.probe.runs) {
    if (r.tool === "harness") continue;
    const s = r.seen ?? {};
    const spawned = r.report ? (r.report.workersForked ? "**no**: the workers were forked" : "yes") : "–";
    let saw = "–";
    let copy = "–";
    if (r.tool === "wmprof" && s.profile) {
      saw = `${s.children} processes (${(s.childRoles ?? []).join(", ")}), memory of ${s.childrenWithMemory}`;
      copy = `${fmtBytes(s.copyBytes)} pool: ${s.verdict}; + ${fmtBytes(s.processArgsBytes)} process-args`;
    } else if (r.tool === "scalene") {
      saw = s.profile ? `CPU on worker lines ${s.cpuPctOnChildLines.toFixed(1)} % of ${s.cpuPctAll.toFixed(1)} %; malloc on worker lines ${s.mallocMbOnChildLines.toFixed(0)} MB` : (s.note ?? "no profile");
      copy = s.profile ? `memcpy ${s.copyMbPerS.toFixed(0)} MB/s (not IPC bytes)` : "–";
    } else if (r.tool === "mprof" && s.profile) {
      saw = `${s.children} CHLD pids, largest child ${s.peakChildMb.toFixed(0)} MiB RSS`;
    }
    L.push(`| ${NAMES[r.tool]} | ${r.ok ? "yes" : `no: ${r.errorTail?.split("\n").pop()}`} | ${spawned} | ${saw} | ${r.tool === "plain" ? "–" : copy} | ${r.tool === "plain" ? "–" : mib(s.mem ?? null)} |`);
  }
  L.push("");

  // Sampler cost
  const f = st.f;
  if (f) {
    L.push("## Profiler CPU while 32 workers run, (f)", "");
    L.push("CPU time of the profiler's own process (all its threads, from /proc/PID/task/*/schedstat) over the workload's steady window " +
      "(all 32 workers up and holding 16 MiB each, short sleeping tasks flowing), per second of that window.", "");
    L.push("| tool | CPU, % of one core (median [spread]) | profiler's CPU over the whole run |", "| --- | --- | --- |");
    for (const t of result.tools.filter((a) => a.name !== "plain" && a.name !== "harness")) {
      const s = f[t.name];
      if (!s) continue;
      L.push(`| ${NAMES[t.name]} | ${t.name === "scalene" ? "in-process (not separable)" : s.steadyCpuPct === null ? "–" : `${s.steadyCpuPct.toFixed(2)} % [${sp(s.steadyCpuSpread)}]`} | ${t.name === "scalene" ? "–" : sec(s.selfCpu)} |`);
    }
    L.push("");
  }

  // Ingest
  const ing = result.ingest;
  L.push("## Host side: decoder + model ingest", "");
  if (!ing) L.push("Not run.", "");
  else if (ing.error) L.push("Failed: " + ing.error, "");
  else {
    L.push(`A synthetic run folder in the harness's line format (bench/suite/gen-events.ts): ${ing.options.processes} processes, ${ing.options.sitesPerProcess} send and ` +
      `${ing.options.sitesPerProcess} recv sites each, ${(ing.options.messages / 1e6).toFixed(0)}M messages of which ${(100 * ing.options.bigFraction).toFixed(0)} % are ≥ 64 KiB ` +
      `(a \`big\` line at both ends), ${ing.simulatedSeconds.toFixed(0)} s of simulated time (agg + heap lines every 250 ms per process), then ` +
      `read by a fresh process through RunDirTailer into ProfileModel (\`node --import tsx\`), followed by ${ing.ticks.toLocaleString("en")} memory samples (50 ms ticks).`, "");
    L.push("| lines | file | ingest | events/s | MB/s | model kept (heap after GC) | RSS before → peak | profile JSON | totals = ground truth |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    L.push(`| ${ing.lines.toLocaleString("en")} | ${mib(ing.fileBytes)} | ${sec(ing.ingestSeconds)} | ${(ing.eventsPerSecond / 1e6).toFixed(2)}M | ${ing.mbPerSecond.toFixed(0)} | ` +
      `${mib(ing.heapKeptBytes)} | ${mib(ing.rssBeforeBytes)} → ${mib(ing.peakRssBytes)} | ${mib(ing.profileJsonBytes)} in ${sec(ing.profileSeconds)} | ${ing.truthOk ? "yes" : "**no**"} |`);
    L.push("");
    const ip = result.ingestProfile;
    if (ip?.cpuProfileTop) {
      L.push(`\`--cpu-prof\` of the ingest process (1M messages, ${(ip.eventsPerSecond / 1e6).toFixed(2)}M events/s while profiled), self time:`, "");
      L.push("| function | where | self | share |", "| --- | --- | --- | --- |");
      for (const r of ip.cpuProfileTop) L.push(`| ${r.fn} | ${r.where} | ${r.selfMs.toFixed(0)} ms | ${r.pct.toFixed(1)} % |`);
      L.push("");
    }
  }

  // Diagnostics
  if (result.diag) {
    L.push("## What dominates", "");
    for (const n of dominant(result)) L.push(`- ${n}`);
    L.push("");
    const spf = result.diag.sampler;
    if (spf?.top?.length) {
      L.push(`\`node --cpu-prof\` of \`wmprof run\` on (f) ${spf.argv.join(" ")}, the profiler's own process, self time (whole run, start-up included):`, "");
      L.push("| function | where | self | share |", "| --- | --- | --- | --- |");
      for (const r of spf.top) L.push(`| ${r.fn} | ${r.where} | ${r.selfMs.toFixed(0)} ms | ${r.pct.toFixed(1)} % |`);
      L.push("");
    }
    const ins = (result.diag.instructions ?? []).filter((r) => !r.error);
    if (ins.length) {
      L.push(`callgrind (deterministic), user-space instructions per round trip, both processes: ` +
        ins.map((r) => `${r.workload} plain ${r.plainPerRoundTrip.toLocaleString("en")}, harness ${r.wmprofPerRoundTrip.toLocaleString("en")} (${x(r.ratio, 3)})`).join("; ") +
        ". The noise-free figure for the hooks' cost; the wall ratios above add the machine's noise and the node process.", "");
    }
    for (const r of (result.diag.instructions ?? []).filter((a) => a.error)) L.push(`callgrind of ${r.workload} failed: ${r.error}`, "");
    for (const b of result.diag.bytecodes ?? []) L.push(...(b.error ? [`(${b.workload}) bytecode count failed: ${b.error}`, ""] : bytecodeLines(b)));
    for (const h of result.diag.hooks) {
      if (!h.harness?.top) continue;
      L.push(`cProfile, (${h.workload}) ${h.n} round trips, harness functions in the parent process (all threads):`, "");
      L.push("| function | where | calls | tottime | per call | cumtime |", "| --- | --- | --- | --- | --- | --- |");
      for (const r of h.harness.top) L.push(`| ${r.fn} | ${r.where} | ${r.calls} | ${sec(r.tottime)} | ${(1e6 * r.tottime / Math.max(1, r.calls)).toFixed(2)} µs | ${sec(r.cumtime)} |`);
      L.push("");
    }
  }

  L.push("## Notes", "");
  for (const n of notes(result)) L.push(`- ${n}`);
  L.push("");
  return L.join("\n");
}

/** Observations that follow from the data of this run (plus how each tool was run). */
export function notes(result) {
  const st = result.stats;
  const out = [];
  out.push("How each tool was run: plain `python3 SCRIPT ARGS`; `node dist/cli.js run --python PY --quiet --out F SCRIPT ARGS`; " +
    "`python3 -m scalene --cli --json --outfile F --program-path DIR SCRIPT --- ARGS` (Scalene follows children through its fork and exit hooks, no flag needed; " +
    "`--program-path` because Scalene 1.5.16 profiles only code under the current directory unless told otherwise, and the runs' cwd is a temp folder); " +
    "`mprof run --multiprocess --output F SCRIPT ARGS` (Debian names the command `python3-mprof`; it samples RSS of the main process and of each child every 0.1 s). " +
    "All under the same interpreter, through bench/suite/measure.py.");
  const sc = result.tools.some((t) => t.name === "scalene");
  if (sc) {
    const hung = result.workloads.filter((w) => st[w.id]?.scalene?.timedOut).map((w) => `(${w.id}) ${st[w.id].scalene.timedOut}/${st[w.id].scalene.runs}`);
    if (hung.length) out.push(`Scalene hung (killed at the timeout, 10× plain, at least 60 s) in ${hung.join(", ")} runs; after two hangs the rest of that workload's runs were skipped.`);
    const empty = result.workloads.filter((w) => w.id !== "0").map((w) => [w, st[w.id]?.scalene]).filter(([, s]) => s && s.seen.length && s.seen.some((v) => !v.profile)).map(([w, s]) => `(${w.id}) ${s.seen.filter((v) => !v.profile).length}/${s.seen.length}`);
    if (empty.length) out.push(`Scalene wrote an empty profile ("Program did not run for long enough to profile") in ${empty.join(", ")} of its completed runs: when the parent itself spends little CPU, the children's samples are dropped with it.`);
    const g = result.probe.runs.find((r) => r.tool === "scalene");
    if (g?.report?.workersForked) out.push("Scalene did not run spawn workers as spawn: it replaces `multiprocessing.get_context` so every context is a fork context (scalene/replacement_get_context.py), so (g)'s workers were forked — code that needs spawn (or is only correct under spawn) is profiled under a different start method.");
  }
  const g = result.probe.runs.find((r) => r.tool === "mprof");
  if (g?.seen?.profile) out.push(`mprof saw the spawn workers as ${g.seen.children} CHLD processes (it lists every descendant through psutil, the resource tracker included); its figure is RSS, which counts pages shared between processes once per process.`);
  const acc = result.accuracy.find((r) => r.tool === "scalene");
  if (acc?.seen) out.push("Scalene's memory figure is the profiled code's malloc footprint as its allocator shim sees it, not a process-tree figure: it is not comparable to smem's Σ PSS, and it does not include the children.");
  return out;
}

/** The compact table for the README. */
export function renderHeadline(result) {
  const st = result.stats;
  const m = result.machine;
  const peers = result.tools.filter((t) => t.name !== "plain" && t.name !== "harness");
  const L = [];
  L.push(`| ${result.quick ? "quick run, " : ""}median of ${result.rounds} interleaved runs, ratio to plain python | ${peers.map((t) => NAMES[t.name]).join(" | ")} |`);
  L.push(`| --- | ${peers.map(() => "---").join(" | ")} |`);
  for (const w of result.workloads.filter((a) => a.id !== "0")) {
    const cells = peers.map((t) => {
      const s = st[w.id]?.[t.name];
      if (!s) return "–";
      if (!s.ok) return failures(s) || "failed";
      const fail = failures(s);
      return `${x(s.wallRatio)} wall, ${x(s.cpuRatio)} CPU${fail ? ` (${fail})` : ""}`;
    });
    L.push(`| (${w.id}) ${w.title} | ${cells.join(" | ")} |`);
  }
  const z = st["0"];
  if (z) L.push(`| fixed start-up cost (empty script) | ${peers.map((t) => (z[t.name]?.wall !== null && z.plain?.wall !== null && z[t.name] ? `+${sec(z[t.name].wall - z.plain.wall)}` : "–")).join(" | ")} |`);
  // What it saw
  const sawRow = peers.map((t) => {
    const ws = result.workloads.filter((w) => !["0"].includes(w.id) && st[w.id]?.[t.name]);
    if (t.name === "wmprof") {
      const runs = ws.flatMap((w) => st[w.id].wmprof.seen);
      const all = runs.filter((v) => v.expectedChildren !== null && v.children >= v.expectedChildren).length;
      const g = result.probe.runs.find((r) => r.tool === "wmprof");
      const spawnSeen = g?.seen?.profile && (g.seen.childRoles ?? []).some((r) => r.endsWith("/spawn")) && g.seen.childrenWithMemory >= 2;
      return `every child in ${all}/${runs.filter((v) => v.expectedChildren !== null).length} runs; spawn workers (g): ${spawnSeen ? "yes" : "no"}`;
    }
    if (t.name === "mprof") {
      const runs = ws.flatMap((w) => st[w.id].mprof.seen).filter((v) => v.expectedChildren !== null && v.expectedChildren !== undefined);
      const all = runs.filter((v) => v.children >= v.expectedChildren).length;
      const g = result.probe.runs.find((r) => r.tool === "mprof");
      return `RSS of every child in ${all}/${runs.length} runs; spawn workers (g): ${g?.seen?.children >= 2 ? "yes" : "no"}`;
    }
    if (t.name === "scalene") {
      const tot = ws.reduce((a, w) => a + st[w.id].scalene.seen.length, 0);
      const cpu = ws.reduce((a, w) => a + st[w.id].scalene.seen.filter((v) => v.childCpuSeen).length, 0);
      const g = result.probe.runs.find((r) => r.tool === "scalene");
      return `CPU of child code in ${cpu}/${tot} completed runs; spawn workers (g): ${g?.report?.workersForked ? "forced to fork" : g?.seen?.childCpuSeen ? "yes" : "no"}`;
    }
    return "";
  });
  L.push(`| saw the child processes | ${sawRow.join(" | ")} |`);
  const copyRow = peers.map((t) => {
    if (t.name !== "wmprof") return "no";
    const v = result.workloads.flatMap((w) => st[w.id]?.wmprof?.seen ?? []).filter((a) => a.exact !== null);
    const ok = v.filter((a) => a.exact).length;
    return `yes: = ground truth in ${ok}/${v.length} runs`;
  });
  L.push(`| bytes copied between processes | ${copyRow.join(" | ")} |`);
  const accRow = peers.map((t) => {
    const r = result.accuracy.find((a) => a.tool === t.name);
    if (!r?.sync?.pss || r.seen?.mem === null || r.seen?.mem === undefined) return "–";
    const d = (v) => pct((100 * (v - r.sync.pss)) / r.sync.pss);
    if (t.name === "wmprof") return `Σ PSS ${mib(r.atMoment?.pss ?? null)} then (${r.atMoment?.pss ? d(r.atMoment.pss) : "–"}), peak ${mib(r.seen.mem)} (${d(r.seen.mem)})`;
    if (t.name === "mprof") return `Σ RSS ${mib(r.atMoment?.rss ?? null)} then (${r.atMoment?.rss ? d(r.atMoment.rss) : "–"}), peak ${mib(r.seen.mem)} (${d(r.seen.mem)})`;
    return `malloc footprint ${mib(r.seen.mem)} (${d(r.seen.mem)}), parent only`;
  });
  const ref = result.accuracy.find((a) => a.sync?.pss)?.sync?.pss;
  L.push(`| memory of (e) vs smem Σ PSS of the same run at a known moment (plain: ${mib(ref ?? null)}) | ${accRow.join(" | ")} |`);
  const f = st.f;
  if (f) L.push(`| profiler's own CPU, 32-worker pool (f) | ${peers.map((t) => (t.name === "scalene" ? "in-process" : f[t.name]?.steadyCpuPct === null || !f[t.name] ? "–" : `${f[t.name].steadyCpuPct.toFixed(1)} % of a core`)).join(" | ")} |`);
  const rss = peers.map((t) => {
    const s = st.a?.[t.name] ?? st[result.workloads[0].id]?.[t.name];
    if (!s) return "–";
    if (t.name === "scalene") {
      const p = st.a?.plain;
      return p && s.parentRssKiB !== null ? `+${kib2mib(s.parentRssKiB - p.parentRssKiB)} in-process + ${kib2mib(s.selfHwmKiB)} launcher` : "–";
    }
    return `${kib2mib(s.selfHwmKiB)} (${t.name === "wmprof" ? "node" : "python"})`;
  });
  L.push(`| profiler's own peak RSS, (a) | ${rss.join(" | ")} |`);
  L.push("");
  L.push(`${m.nproc} CPUs, ${m.memGiB.toFixed(0)} GiB, Linux ${m.kernel}, python ${result.versions.plain}, node ${m.node}, Scalene ${result.versions.scalene ?? "–"}, ` +
    `memory_profiler ${result.versions.mprof ?? "–"}; ${loadLine(m)}; ${m.date.slice(0, 10)}. Full table and notes: bench/results.md.`);
  L.push("");
  return L.join("\n");
}
