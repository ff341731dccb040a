/**
 * Synthetic profiles for view-model tests and the webview benchmark: deterministic (seeded), with
 * the shapes real runs have (a parent that grows, fork workers sharing pages, spikes, COW growth).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MemorySample, ProcessInfo, Profile } from "../../src/protocol/profile";

export const FIXTURE_DIR = join(__dirname, "..", "fixtures");

export function loadSampleProfile(): Profile {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, "sample-profile.json"), "utf8")) as Profile;
}

/** Mulberry32. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MiB = 1048576;

export interface BigProfileOptions {
  processes?: number;
  samples?: number;
  intervalMs?: number;
  seed?: number;
  pss?: boolean;
}

/** 64 processes × 12,000 samples at 50 ms by default: a 10-minute run. */
export function makeBigProfile(o: BigProfileOptions = {}): Profile {
  const nProc = o.processes ?? 64;
  const nSamples = o.samples ?? 12000;
  const dt = o.intervalMs ?? 50;
  const pss = o.pss ?? true;
  const rand = rng(o.seed ?? 42);
  const wall = nSamples * dt;
  const processes: ProcessInfo[] = [];
  for (let p = 0; p < nProc; p++) {
    const samples: MemorySample[] = new Array(nSamples);
    let priv = (20 + rand() * 30) * MiB;
    const shared = (p === 0 ? 40 : 120 + rand() * 20) * MiB;
    for (let i = 0; i < nSamples; i++) {
      priv = Math.max(5 * MiB, priv + (rand() - 0.48) * 0.5 * MiB);
      const spike = rand() < 0.0005 ? (50 + rand() * 200) * MiB : 0;
      const uss = Math.round(priv + spike);
      const rss = uss + Math.round(shared);
      samples[i] = {
        t: i * dt, rss, pss: pss ? Math.round(uss + shared / nProc) : null, uss, sharedClean: Math.round(shared), sharedDirty: 0,
        privateClean: Math.round(uss * 0.2), privateDirty: Math.round(uss * 0.8), swap: 0, minflt: i, majflt: 0,
      };
    }
    const peak = { rss: 0, pss: 0, uss: 0, privateDirty: 0 };
    for (const s of samples) {
      peak.rss = Math.max(peak.rss, s.rss);
      peak.pss = Math.max(peak.pss, s.pss ?? 0);
      peak.uss = Math.max(peak.uss, s.uss ?? 0);
      peak.privateDirty = Math.max(peak.privateDirty, s.privateDirty ?? 0);
    }
    processes.push({
      pid: 10000 + p, ppid: p === 0 ? 1 : 10000, role: p === 0 ? "main" : "worker", startMethod: p === 0 ? null : "fork",
      name: p === 0 ? "MainProcess" : `ForkPoolWorker-${p}`, startedAt: 0, endedAt: wall, exitCode: 0, instrumented: true,
      samples, peak, heap: [], cowBrokenBytes: p === 0 ? null : peak.privateDirty,
    });
  }
  const buckets = Math.min(2000, Math.ceil(wall / 300));
  const bucketMs = Math.ceil(wall / buckets);
  const t = Array.from({ length: buckets }, (_, i) => i * bucketMs);
  const pool = t.map(() => Math.round(rand() * 4 * MiB));
  const queue = t.map(() => Math.round(rand() * MiB));
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  const site = (line: number, fn: string) => ({ file: "/work/big_job.py", line, function: fn });
  const copies: Profile["copies"] = processes.slice(1).flatMap((p, i) => [
    { channel: "pool" as const, direction: "recv" as const, pid: p.pid, bytes: Math.round(sum(pool) / (nProc - 1)), count: 100 + i, pickleNs: 1e8, site: site(20, "work"), hist: [] },
    { channel: "queue" as const, direction: "send" as const, pid: p.pid, bytes: Math.round(sum(queue) / (nProc - 1)), count: 500, pickleNs: 5e7, site: site(30 + (i % 7), "report"), hist: [] },
  ]);
  copies.push({ channel: "pool", direction: "send", pid: 10000, bytes: sum(pool), count: 6400, pickleNs: 9e9, site: site(50, "main"), hist: [] });
  return {
    schema: "wmprof/1", tool: { name: "wmprof", version: "0.1.0" }, runtime: "python", command: ["/work/big_job.py"], cwd: "/work",
    python: { executable: "/usr/bin/python3", version: "3.11.2" }, exitCode: 0, startedAt: "2025-11-29T10:00:00.000Z", wallMs: wall, complete: true,
    warnings: [], capabilities: { platform: "linux", pss, uss: true, heap: false, tracemalloc: false },
    processes, copies, sharedMemory: [],
    timeline: { bucketMs, t, bytes: { pool, queue } },
    totals: { bytesSent: sum(pool) + sum(queue), bytesReceived: sum(pool), messagesSent: 38000, messagesReceived: 6400, processes: nProc,
      peakPssSum: pss ? 5000 * MiB : null, peakRssSum: 12000 * MiB, sharedMemoryBytes: 0, maxCowBrokenBytes: 300 * MiB },
    findings: [], stats: { eventLines: 100000, malformedLines: 0, samples: nProc * nSamples },
  };
}

/** The profile as a live run would have reported it at `tMs`: later samples, buckets and exits cut off. */
export function profileAt(profile: Profile, tMs: number): Profile {
  const processes = profile.processes
    .filter((p) => p.startedAt <= tMs)
    .map((p) => {
      let end = p.samples.length;
      while (end > 0 && (p.samples[end - 1] as MemorySample).t > tMs) end--;
      const ended = p.endedAt !== null && p.endedAt <= tMs;
      return { ...p, samples: p.samples.slice(0, end), endedAt: ended ? p.endedAt : null, exitCode: ended ? p.exitCode : null };
    });
  let nb = profile.timeline.t.length;
  while (nb > 0 && (profile.timeline.t[nb - 1] as number) > tMs) nb--;
  const bytes: Profile["timeline"]["bytes"] = {};
  for (const [ch, arr] of Object.entries(profile.timeline.bytes)) bytes[ch as keyof typeof bytes] = (arr as number[]).slice(0, nb);
  const frac = Math.min(1, tMs / Math.max(1, profile.wallMs));
  return {
    ...profile,
    wallMs: Math.min(tMs, profile.wallMs),
    exitCode: tMs >= profile.wallMs ? profile.exitCode : null,
    processes,
    copies: profile.copies.map((c) => ({ ...c, bytes: Math.round(c.bytes * frac), count: Math.round(c.count * frac) })),
    timeline: { bucketMs: profile.timeline.bucketMs, t: profile.timeline.t.slice(0, nb), bytes },
    totals: { ...profile.totals, processes: processes.length, bytesSent: Math.round(profile.totals.bytesSent * frac), bytesReceived: Math.round(profile.totals.bytesReceived * frac) },
  };
}

export const XSS_SCRIPT = "<img src=x onerror=alert(1)>.py";
export const XSS_FUNCTION = "</script>";

/** The sample profile with hostile names: a script named like markup, a function named </script>. */
export function hostileProfile(): Profile {
  const p = loadSampleProfile();
  p.command = [`/tmp/${XSS_SCRIPT}`, "--x=</script><script>alert(2)</script>"];
  for (const c of p.copies) if (c.site) c.site = { ...c.site, file: `/tmp/${XSS_SCRIPT}`, function: XSS_FUNCTION };
  p.findings[0] = { ...(p.findings[0] as Profile["findings"][number]), message: "<b>bold</b> & </script><!-- ", site: { file: `/tmp/${XSS_SCRIPT}`, line: 42, function: XSS_FUNCTION } };
  p.warnings = ["<script>alert(3)</script>"];
  return p;
}
