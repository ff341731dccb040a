/**
 * The terminal face of the comparison: the same rows the panel and the HTML report plot
 * (buildComparisonView), as a table, plus the names of the findings each profile raised.
 */
import type { Profile } from "../protocol/profile";
import { formatBytes, formatDuration } from "./format";
import { renderTable } from "./textTable";
import { buildComparisonView } from "./view/build";

export function renderComparison(profiles: Profile[]): string {
  const { rows } = buildComparisonView(profiles);
  return renderTable(
    [
      { title: "STRATEGY" }, { title: "WALL", align: "right" }, { title: "COPIED", align: "right" },
      { title: "PEAK Σ PSS", align: "right" }, { title: "PEAK Σ RSS", align: "right" }, { title: "COW-BROKEN", align: "right" }, { title: "FINDINGS" },
    ],
    rows.map((r, i) => {
      const p = profiles[i]!;
      const rules = [...new Set(p.findings.map((f) => f.rule))];
      const failed = p.exitCode !== 0 && p.exitCode !== null;
      return [
        `${r.label.replace(/\.py$/, "")}${failed ? ` (exit ${p.exitCode})` : ""}`,
        formatDuration(r.wallMs), formatBytes(r.bytesCopied), formatBytes(r.peakPssSum), formatBytes(r.peakRssSum),
        formatBytes(r.maxCowBrokenBytes), rules.length ? rules.join(", ") : "–",
      ];
    }),
    "",
  );
}
