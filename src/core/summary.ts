/** The end-of-run text summary, printed by `wmprof run` and `wmprof report`. */
import type { CopyRecord, Profile } from "../protocol/profile";
import { formatBytes, formatCount, formatDuration, formatSite } from "./format";
import { renderTable } from "./textTable";
import { cowCopiedBytes } from "./memory/cow";

export interface SummaryOptions {
  topSites?: number;
  maxProcesses?: number;
}

/** Merges send rows of the same site and channel across processes (e.g. one put() line, many workers). */
export function topSendSites(profile: Profile, n: number): CopyRecord[] {
  const merged = new Map<string, CopyRecord>();
  for (const c of profile.copies) {
    if (c.direction !== "send") continue;
    const key = `${c.channel}|${c.site ? `${c.site.file}:${c.site.line}` : "-"}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { ...c, hist: c.hist.slice() });
    else {
      m.bytes += c.bytes;
      m.count += c.count;
      m.pickleNs += c.pickleNs;
    }
  }
  return [...merged.values()].sort((a, b) => b.bytes - a.bytes).slice(0, n);
}

export function scriptLabel(profile: Profile): string {
  const c = profile.command;
  if (c[0] === "-m") return `-m ${c[1] ?? ""}`;
  const path = c[0] ?? "?";
  return path.split("/").pop() ?? path;
}

export function renderSummary(profile: Profile, opts: SummaryOptions = {}): string {
  const t = profile.totals;
  const out: string[] = [];
  const exit = profile.exitCode === null ? "ended" : profile.exitCode < 0 ? `was killed by signal ${-profile.exitCode}` : `exited ${profile.exitCode}`;
  out.push(
    `wmprof: ${scriptLabel(profile)} ${exit} after ${formatDuration(profile.wallMs)} · ${t.processes} process${t.processes === 1 ? "" : "es"} · ` +
      `${formatBytes(t.bytesSent)} copied in ${formatCount(t.messagesSent)} message${t.messagesSent === 1 ? "" : "s"}`,
  );
  if (t.peakRssSum !== null) {
    out.push(
      `memory: peak Σ PSS ${t.peakPssSum === null ? "unavailable on this platform" : formatBytes(t.peakPssSum)} · peak Σ RSS ${formatBytes(t.peakRssSum)}` +
        (t.sharedMemoryBytes ? ` · shared memory ${formatBytes(t.sharedMemoryBytes)} (counted once)` : ""),
    );
  }
  const sites = topSendSites(profile, opts.topSites ?? 10);
  if (sites.length > 0) {
    out.push("", "Top call sites by bytes copied (send side)");
    out.push(
      renderTable(
        [
          { title: "BYTES", align: "right" }, { title: "COUNT", align: "right" }, { title: "CHANNEL" },
          { title: profile.runtime === "node" ? "SERIALIZE" : "PICKLE", align: "right" }, { title: "SITE" },
        ],
        sites.map((c) => [
          formatBytes(c.bytes), formatCount(c.count), c.channel, formatDuration(c.pickleNs / 1e6),
          c.site ? `${formatSite(c.site, profile.cwd)} (${c.site.function})` : "(no user frame)",
        ]),
      ),
    );
  } else {
    out.push("", "No bytes were copied between processes.");
  }
  const procs = profile.processes;
  if (procs.length > 0) {
    const shown = procs.slice(0, opts.maxProcesses ?? 20);
    out.push("", "Processes");
    out.push(
      renderTable(
        [
          { title: "PID", align: "right" }, { title: "ROLE" }, { title: "START" }, { title: "LIFETIME", align: "right" }, { title: "EXIT", align: "right" },
          { title: "PEAK RSS", align: "right" }, { title: "PEAK PSS", align: "right" }, { title: "PEAK USS", align: "right" }, { title: "COW-BROKEN", align: "right" },
        ],
        shown.map((p) => [
          p.tid === undefined ? String(p.pid) : `${p.pid}/t${p.tid}`, p.role, p.startMethod ?? "–", formatDuration(p.endedAt === null ? null : p.endedAt - p.startedAt),
          p.exitCode === null ? "–" : String(p.exitCode), formatBytes(p.peak.rss), formatBytes(p.peak.pss), formatBytes(p.peak.uss),
          formatBytes(cowCopiedBytes(p)),
        ]),
      ),
    );
    if (procs.length > shown.length) out.push(`  … and ${procs.length - shown.length} more`);
  }
  if (profile.sharedMemory.length > 0) {
    out.push("", "Shared memory");
    out.push(
      renderTable(
        [{ title: "KIND" }, { title: "NAME" }, { title: "BYTES", align: "right" }, { title: "PIDS", align: "right" }, { title: "UNLINKED" }, { title: "SITE" }],
        profile.sharedMemory.map((b) => [b.kind, b.name, formatBytes(b.bytes), String(1 + b.attachedPids.length), b.unlinked ? "yes" : "no", formatSite(b.site, profile.cwd)]),
      ),
    );
  }
  if (profile.findings.length > 0) {
    out.push("", "Findings");
    for (const f of profile.findings) {
      const mark = f.severity === "error" ? "✖" : f.severity === "warning" ? "⚠" : "ℹ";
      out.push(`  ${mark} [${f.rule}] ${f.message}${f.site ? ` (${formatSite(f.site, profile.cwd)})` : ""}`);
      if (f.fix) out.push(`      fix: ${f.fix}`);
    }
  }
  if (profile.stats.malformedLines > 0) out.push("", `note: ${profile.stats.malformedLines} malformed event line(s) were skipped.`);
  for (const w of profile.warnings) out.push(`warning: ${w}`);
  if (!profile.complete) out.push("note: this profile is incomplete; some events may be missing.");
  return out.join("\n");
}
