/**
 * Profile → what the editor shows next to code: one end-of-line hint per call site that copied
 * bytes, and findings with a place to live in the Problems panel. Pure (no `vscode` import).
 */
import { isAbsolute, resolve } from "node:path";
import type { Channel, Direction } from "../protocol/events";
import type { Finding, Profile, Severity } from "../protocol/profile";
import { formatBytes, formatCount } from "../core/view/format";

export interface LineHint {
  /** Absolute path. */
  file: string;
  /** 1-based, as in the profile. */
  line: number;
  /** "⇄ 95.4 MiB pickled · 400 puts · queue" */
  text: string;
  /** Longer, for the hover: one row per channel/direction. */
  detail: string[];
  bytes: number;
}

export interface FindingLocation {
  file: string;
  /** 1-based. */
  line: number;
  severity: Severity;
  rule: string;
  message: string;
}

const NOUNS: Record<Channel, [send: string, recv: string]> = {
  queue: ["put", "get"],
  pipe: ["send", "recv"],
  pool: ["task", "result"],
  executor: ["task", "result"],
  "process-args": ["start", "start"],
  manager: ["call", "reply"],
  "message-port": ["message", "message"],
  ipc: ["message", "message"],
  transfer: ["transfer", "transfer"],
};

function plural(noun: string, n: number): string {
  if (n === 1) return noun;
  return noun.endsWith("y") ? `${noun.slice(0, -1)}ies` : `${noun}s`;
}

function verb(runtime: Profile["runtime"], dir: Direction): string {
  if (runtime === "node") return dir === "send" ? "cloned" : "received";
  return dir === "send" ? "pickled" : "unpickled";
}

export function sitePath(file: string, cwd: string): string {
  return isAbsolute(file) ? file : resolve(cwd, file);
}

interface Acc {
  file: string;
  line: number;
  rows: Map<string, { channel: Channel; direction: Direction; bytes: number; count: number }>;
}

/** One hint per (file, line) with copies, summed over processes; biggest first. */
export function lineHints(profile: Profile): LineHint[] {
  const sites = new Map<string, Acc>();
  for (const c of profile.copies) {
    if (!c.site || c.bytes <= 0 && c.count <= 0) continue;
    const file = sitePath(c.site.file, profile.cwd);
    const key = `${file}\0${c.site.line}`;
    let acc = sites.get(key);
    if (!acc) sites.set(key, (acc = { file, line: c.site.line, rows: new Map() }));
    const rk = `${c.channel}\0${c.direction}`;
    const row = acc.rows.get(rk) ?? { channel: c.channel, direction: c.direction, bytes: 0, count: 0 };
    row.bytes += c.bytes;
    row.count += c.count;
    acc.rows.set(rk, row);
  }
  const hints: LineHint[] = [];
  for (const acc of sites.values()) {
    const rows = [...acc.rows.values()].sort((a, b) => b.bytes - a.bytes);
    const parts = rows.map((r) => {
      const [sendNoun, recvNoun] = NOUNS[r.channel] ?? ["message", "message"];
      const noun = r.direction === "send" ? sendNoun : recvNoun;
      return `${formatBytes(r.bytes)} ${verb(profile.runtime, r.direction)} · ${formatCount(r.count)} ${plural(noun, r.count)} · ${r.channel}`;
    });
    hints.push({
      file: acc.file,
      line: acc.line,
      text: `⇄ ${parts.join("  ⇄ ")}`,
      detail: parts,
      bytes: rows.reduce((s, r) => s + r.bytes, 0),
    });
  }
  return hints.sort((a, b) => b.bytes - a.bytes);
}

/** The script the profile ran (absolute), when it was a script rather than `-m module`. */
export function profiledScript(profile: Profile): string | undefined {
  const first = profile.command[0];
  if (!first || first === "-m") return undefined;
  return sitePath(first, profile.cwd);
}

/** Findings placed at their site, or at the top of the profiled script when they have none. */
export function findingLocations(profile: Profile): FindingLocation[] {
  const script = profiledScript(profile);
  const out: FindingLocation[] = [];
  for (const f of profile.findings as Finding[]) {
    const file = f.site ? sitePath(f.site.file, profile.cwd) : script;
    if (!file) continue;
    out.push({
      file,
      line: f.site ? Math.max(1, f.site.line) : 1,
      severity: f.severity,
      rule: f.rule,
      message: f.fix ? `${f.message} ${f.fix}` : f.message,
    });
  }
  return out;
}
