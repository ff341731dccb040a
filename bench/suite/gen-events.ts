/**
 * Synthetic harness event logs for the host-side ingest benchmark (bench/suite/ingest.ts).
 *
 * Writes a run folder the way the Python harness would (docs/event-protocol.md, field order as in
 * harness/python/_wmprof_harness): one `events-<pid>.ndjson` per process with `hello`, `site`
 * lines, cumulative `agg` lines every 250 ms of simulated time, `heap` lines at 4 Hz, a `big` line
 * on both ends of every message ≥ 64 KiB, and `bye`. Process p sends to process p+1 (mod P), so
 * every message is counted once as send and once as recv. Sizes come from a seeded generator:
 * the same options give the same bytes, and the totals are returned as ground truth.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface GenOptions {
  /** Messages in the whole run (each one: send in one process, recv in the next). */
  messages: number;
  processes: number;
  sitesPerProcess: number;
  /** Share of messages ≥ 64 KiB (each gives a `big` line on both ends). */
  bigFraction: number;
  /** Simulated messages per second, per sending process. */
  ratePerProcess: number;
  startMs: number;
}

export interface GenResult {
  lines: number;
  bytes: number;
  byKind: Record<string, number>;
  truth: { messages: number; bytesSent: number };
  simulatedMs: number;
}

const CHANNELS = ["queue", "pipe", "pool"] as const;
const FLUSH_MS = 250;
const HIST = 12;

/** The harness's size bucket: upper bounds 64, 256, 1K, … 64M, then open-ended. */
function bucket(n: number): number {
  if (n < 64) return 0;
  const bitlen = Math.floor(Math.log2(n)) + 1;
  return Math.min((bitlen - 5) >> 1, HIST - 1);
}

/** xorshift32: deterministic sizes without Math.random. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

interface Row {
  count: number;
  bytes: number;
  ns: number;
  hist: number[];
}

class Writer {
  private parts: string[] = [];
  private size = 0;
  lines = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  line(s: string): void {
    this.parts.push(s);
    this.size += s.length + 1;
    this.lines++;
    if (this.size > 1 << 22) this.flush();
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join("\n") + "\n", "utf8");
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }
}

export function generateRun(dir: string, o: GenOptions): GenResult {
  const byKind: Record<string, number> = { hello: 0, site: 0, agg: 0, big: 0, heap: 0, bye: 0 };
  const perSender = Math.floor(o.messages / o.processes);
  const simulatedMs = (perSender / o.ratePerProcess) * 1000;
  const pid = (p: number) => 20000 + p;
  let lines = 0;
  let bytes = 0;
  let bytesSent = 0;
  for (let p = 0; p < o.processes; p++) {
    const fd = openSync(join(dir, `events-${pid(p)}.ndjson`), "w", 0o600);
    const w = new Writer(fd);
    const me = pid(p);
    w.line(
      `{"e":"hello","v":1,"pid":${me},"ppid":${p === 0 ? 1 : pid(0)},"t":${o.startMs},"role":"${p === 0 ? "main" : "worker"}",` +
        `"startMethod":${p === 0 ? "null" : '"fork"'},"name":${p === 0 ? "null" : `"ForkPoolWorker-${p}"`},"runtime":"python",` +
        `"version":"3.11.2","executable":"/usr/bin/python3","tracemalloc":false}`,
    );
    byKind.hello!++;
    // Sites: 0..S-1 send sites of this process, S..2S-1 its recv sites.
    const S = o.sitesPerProcess;
    const rows: Row[] = [];
    for (let s = 0; s < 2 * S; s++) rows.push({ count: 0, bytes: 0, ns: 0, hist: new Array<number>(HIST).fill(0) });
    const defined = new Array<boolean>(2 * S).fill(false);
    const dirty = new Set<number>();
    // Two streams interleaved by time: what p sends (seed p) and what p-1 sends to p (seed p-1).
    const prev = (p + o.processes - 1) % o.processes;
    const streams = [
      { seed: p, dir: "send" as const, base: 0 },
      { seed: prev, dir: "recv" as const, base: S },
    ];
    const gens = streams.map((s) => rng(0x9e3779b9 ^ (s.seed * 7919 + 1)));
    const dtMs = 1000 / o.ratePerProcess;
    let nextFlush = o.startMs + FLUSH_MS;
    let blocks = 50_000;
    const flushAgg = (t: number) => {
      if (dirty.size > 0) {
        const out: string[] = [];
        for (const s of [...dirty].sort((a, b) => a - b)) {
          const r = rows[s]!;
          const site = s % S;
          const ch = CHANNELS[site % CHANNELS.length];
          out.push(`[${s},"${ch}","${s < S ? "send" : "recv"}",${r.count},${r.bytes},${r.ns},[${r.hist.join(",")}]]`);
        }
        w.line(`{"e":"agg","pid":${me},"t":${Math.round(t)},"rows":[${out.join(",")}]}`);
        byKind.agg!++;
        dirty.clear();
      }
      blocks += 137;
      w.line(`{"e":"heap","pid":${me},"t":${Math.round(t)},"blocks":${blocks},"gcCount":[${blocks % 700},3,1],"collections":[${blocks >> 8},${blocks >> 12},1]}`);
      byKind.heap!++;
    };
    for (let i = 0; i < perSender; i++) {
      const t = o.startMs + i * dtMs;
      while (t >= nextFlush) {
        flushAgg(nextFlush);
        nextFlush += FLUSH_MS;
      }
      for (let k = 0; k < 2; k++) {
        const st = streams[k]!;
        const g = gens[k]!;
        const big = g() < o.bigFraction;
        const n = big ? 65536 + Math.floor(g() * (1 << 20)) : 40 + Math.floor(g() * 400);
        const ns = Math.round(n * 0.25 + 2000);
        const slot = st.base + (i % S);
        if (!defined[slot]) {
          defined[slot] = true;
          w.line(`{"e":"site","pid":${me},"id":${slot},"file":"/work/app/worker_${p}.py","line":${10 + slot},"function":"${st.dir}_${slot % S}"}`);
          byKind.site!++;
        }
        const r = rows[slot]!;
        r.count++;
        r.bytes += n;
        r.ns += ns;
        r.hist[bucket(n)]!++;
        dirty.add(slot);
        if (k === 0) bytesSent += n;
        if (big) {
          w.line(`{"e":"big","pid":${me},"t":${Math.round(t)},"site":${slot},"ch":"${CHANNELS[slot % S % CHANNELS.length]}","dir":"${st.dir}","bytes":${n},"ns":${ns}}`);
          byKind.big!++;
        }
      }
    }
    flushAgg(o.startMs + simulatedMs);
    w.line(`{"e":"bye","pid":${me},"t":${Math.round(o.startMs + simulatedMs)},"exitCode":0}`);
    byKind.bye!++;
    w.flush();
    closeSync(fd);
    lines += w.lines;
    bytes += w.bytes;
  }
  return { lines, bytes, byKind, truth: { messages: perSender * o.processes, bytesSent }, simulatedMs };
}
