// Self time by function from a V8 .cpuprofile (node --cpu-prof), for the "what dominates" notes.
//
//   node bench/suite/cpuprof.mjs FILE.cpuprofile [TOP=12]
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";

/** [{ fn, where, selfMs, pct }] sorted by self time; (idle)/(program)/(garbage collector) kept as V8 names them. */
export function summarize(file, top = 12) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = prof.timeDeltas ?? [];
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    // timeDeltas[i] is the time before sample i; attribute the next delta to this sample.
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const byFn = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id).callFrame;
    if (cf.functionName === "(idle)") continue;
    const where = cf.url ? `${basename(cf.url.replace(/^file:\/\//, ""))}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"}\u0000${where}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    total += us;
  }
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => {
      const [fn, where] = k.split("\u0000");
      return { fn, where, selfMs: us / 1000, pct: (100 * us) / total };
    });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const r of summarize(process.argv[2], Number(process.argv[3] ?? 12))) {
    console.log(`${r.pct.toFixed(1).padStart(5)} %  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.fn}  ${r.where}`);
  }
}
