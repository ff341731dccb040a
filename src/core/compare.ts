/** Side-by-side comparison of several profiles (one per way of sharing the same data). */
import type { Profile } from "../protocol/profile";
import { formatBytes, formatDuration } from "./format";
import { scriptLabel } from "./summary";
import { renderTable } from "./textTable";

export interface ComparisonRow {
  strategy: string;
  wallMs: number;
  bytesCopied: number;
  messages: number;
  peakPssSum: number | null;
  peakRssSum: number | null;
  maxCowBrokenBytes: number | null;
  findings: string[];
  exitCode: number | null;
}

export function comparisonRows(profiles: Profile[]): ComparisonRow[] {
  return profiles.map((p) => ({
    strategy: scriptLabel(p).replace(/\.py$/, ""),
    wallMs: p.wallMs,
    bytesCopied: p.totals.bytesSent,
    messages: p.totals.messagesSent,
    peakPssSum: p.totals.peakPssSum,
    peakRssSum: p.totals.peakRssSum,
    maxCowBrokenBytes: p.totals.maxCowBrokenBytes,
    findings: p.findings.map((f) => f.rule),
    exitCode: p.exitCode,
  }));
}

export function renderComparison(profiles: Profile[]): string {
  const rows = comparisonRows(profiles);
  return renderTable(
    [
      { title: "STRATEGY" }, { title: "WALL", align: "right" }, { title: "COPIED", align: "right" },
      { title: "PEAK Σ PSS", align: "right" }, { title: "PEAK Σ RSS", align: "right" }, { title: "COW-BROKEN", align: "right" }, { title: "FINDINGS" },
    ],
    rows.map((r) => [
      r.exitCode !== 0 && r.exitCode !== null ? `${r.strategy} (exit ${r.exitCode})` : r.strategy,
      formatDuration(r.wallMs), formatBytes(r.bytesCopied), formatBytes(r.peakPssSum), formatBytes(r.peakRssSum),
      formatBytes(r.maxCowBrokenBytes), r.findings.length ? [...new Set(r.findings)].join(", ") : "–",
    ]),
    "",
  );
}
