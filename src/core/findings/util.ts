/** Helpers shared by the rules: runtime gates, grouping copy records by call site, wording, severities. */
import { MESSAGE_KINDS, type Channel, type Direction } from "../../protocol/events";
import type { CopyRecord, Finding, ProcessInfo, Profile, Severity, Site } from "../../protocol/profile";
import { formatBytes, formatCount, formatSite } from "../format";

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Channels the Python harness reports. Python rules look at these only: their advice is Python's. */
export const PYTHON_CHANNELS: ReadonlySet<Channel> = new Set<Channel>(["queue", "pipe", "pool", "executor", "process-args", "manager"]);
/** Channels the Node harness reports (`transfer` = moved, never copied). */
export const NODE_CHANNELS: ReadonlySet<Channel> = new Set<Channel>(["message-port", "ipc", "transfer"]);

/** Python rules run on Python profiles only (a saved profile without a runtime predates Node: Python). */
export function isPythonProfile(profile: Profile): boolean {
  return profile.runtime !== "node";
}

export function isNodeProfile(profile: Profile): boolean {
  return profile.runtime === "node";
}

/** Bits of CopyRecord.kinds (Node): what the messages were. */
export const KIND = MESSAGE_KINDS;

export function hasKind(kinds: number, bit: number): boolean {
  return (kinds & bit) !== 0;
}

export const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Copy records of one channel at one call site (all pids together: N workers run the same line). */
export interface SiteGroup {
  channel: Channel;
  site: Site | null;
  pids: number[];
  count: number;
  bytes: number;
  pickleNs: number;
  /** Sum of the records' histograms. */
  hist: number[];
  /** Node: union of the records' message kinds (MESSAGE_KINDS bits); 0 when none were reported. */
  kinds: number;
  /** Distinct senders: processes, or (Node) threads of a process, that ran this line. */
  senders: number;
}

/**
 * Group copies by (channel, site). Records without a site are grouped per pid, and per thread for
 * Node (the runtime made the copy; different processes' or threads' unknown sites are not the same place).
 */
export function groupBySite(
  copies: readonly CopyRecord[],
  filter: (c: CopyRecord) => boolean,
): SiteGroup[] {
  const groups = new Map<string, SiteGroup>();
  const senders = new Map<SiteGroup, Set<string>>();
  for (const c of copies) {
    if (!filter(c)) continue;
    const sender = c.tid === undefined ? `${c.pid}` : `${c.pid}:${c.tid}`;
    const key = c.site ? `${c.channel}|${c.site.file}|${c.site.line}` : `${c.channel}|?|${sender}`;
    let g = groups.get(key);
    if (!g) {
      g = { channel: c.channel, site: c.site, pids: [], count: 0, bytes: 0, pickleNs: 0, hist: [], kinds: 0, senders: 0 };
      groups.set(key, g);
      senders.set(g, new Set());
    }
    if (!g.pids.includes(c.pid)) g.pids.push(c.pid);
    senders.get(g)?.add(sender);
    g.count += c.count;
    g.bytes += c.bytes;
    g.pickleNs += c.pickleNs;
    g.kinds |= c.kinds ?? 0;
    c.hist.forEach((n, i) => (g.hist[i] = (g.hist[i] ?? 0) + n));
  }
  for (const [g, s] of senders) g.senders = s.size;
  return [...groups.values()];
}

/** "file|line" of a site, for matching rows of different channels made by the same line. */
export function siteKey(site: Site | null): string | null {
  return site ? `${site.file}|${site.line}` : null;
}

export function isDirection(d: Direction): (c: CopyRecord) => boolean {
  return (c) => c.direction === d;
}

export const bytes = formatBytes;
export const count = formatCount;

export function where(site: Site | null, cwd?: string): string {
  return site ? `at ${formatSite(site, cwd)}` : "(no user frame)";
}

export function ms(ns: number): string {
  const v = ns / 1e6;
  return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`;
}

export function severityBySize(b: number, errorAt: number): Severity {
  return b >= errorAt ? "error" : "warning";
}

export function processByPid(profile: Profile): Map<number, ProcessInfo> {
  const m = new Map<number, ProcessInfo>();
  for (const p of profile.processes) if (p.tid === undefined && !m.has(p.pid)) m.set(p.pid, p);
  return m;
}

/** Most severe first, then the biggest (data.bytes), then by rule id for a stable order. */
export function sortFindings(findings: Finding[]): Finding[] {
  const size = (f: Finding): number => (typeof f.data?.bytes === "number" ? f.data.bytes : 0);
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      size(b) - size(a) ||
      byCodePoint(a.rule, b.rule) ||
      byCodePoint(a.message, b.message),
  );
}

/** Not localeCompare: the same order on every machine, and no ICU collator to load (ms at start-up). */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
