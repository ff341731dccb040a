/** Several profiles side by side: one table and one small bar chart per figure. */
import type { ComparisonRow, ComparisonView } from "../../protocol/webview";
import { formatBytes, formatCount, formatDuration } from "../../core/view/format";
import { Chart, baseOptions, makeChart } from "../charts";
import { h, text } from "../dom";
import { SortableTable, type SortState } from "../table";
import { paletteColor, withAlpha, type Theme } from "../theme";
import { chartFigure, section } from "./common";

interface Metric {
  id: string;
  label: string;
  /** Whole numbers only (counts). */
  integer?: boolean;
  value: (r: ComparisonRow) => number | null;
  format: (v: number | null) => string;
}

const METRICS: Metric[] = [
  { id: "wall", label: "Wall time", value: (r) => r.wallMs, format: formatDuration },
  { id: "bytes", label: "Bytes copied", value: (r) => r.bytesCopied, format: (v) => formatBytes(v) },
  { id: "pss", label: "Peak Σ PSS", value: (r) => r.peakPssSum, format: (v) => formatBytes(v) },
  { id: "rss", label: "Peak Σ RSS", value: (r) => r.peakRssSum, format: (v) => formatBytes(v) },
  { id: "cow", label: "Worst COW-broken", value: (r) => r.maxCowBrokenBytes, format: (v) => formatBytes(v) },
  { id: "findings", label: "Findings", value: (r) => r.findings, format: formatCount, integer: true },
];

export class ComparisonSection {
  readonly element: HTMLElement;
  private readonly table: SortableTable<ComparisonRow>;
  private readonly charts: { metric: Metric; chart: Chart<"bar", (number | null)[], string>; canvas: HTMLCanvasElement; caption: HTMLElement }[] = [];
  private readonly title = h("h1", { id: "wm-title" });
  private readonly note = h("p", { class: "wm-note", hidden: true });
  private view: ComparisonView | null = null;

  constructor(private theme: Theme, sort: SortState | null, onSort: (s: SortState) => void) {
    this.table = new SortableTable<ComparisonRow>({
      id: "wm-comparison-table",
      caption: "Profiles compared",
      rowKey: (r) => r.key,
      sort,
      onSort,
      empty: "No profiles.",
      columns: [
        { id: "label", label: "Strategy", sort: (r) => r.label, cell: (r) => h("span", { title: r.command.join(" ") }, r.label, r.complete ? null : h("span", { class: "wm-bad" }, " (incomplete)")) },
        { id: "processes", label: "Processes", numeric: true, sort: (r) => r.processes, cell: (r) => formatCount(r.processes) },
        ...METRICS.map((m) => ({ id: m.id, label: m.label, numeric: true, sort: m.value, cell: (r: ComparisonRow) => m.format(m.value(r)) })),
      ],
    });
    const grid = h("div", { class: "wm-grid" });
    for (const metric of METRICS) {
      const fig = chartFigure(`wm-compare-${metric.id}`, metric.label);
      grid.appendChild(h("div", { class: "wm-grid-cell" }, h("h3", null, metric.label), fig.figure));
      const chart = makeChart<"bar", (number | null)[], string>(fig.canvas, {
        type: "bar",
        data: { labels: [], datasets: [] },
        options: {
          ...baseOptions<"bar">(),
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => metric.format(c.parsed.y) } } },
          scales: { y: { beginAtZero: true, ticks: { callback: (v) => metric.format(Number(v)), ...(metric.integer ? { precision: 0 } : {}) } } },
        },
      });
      this.charts.push({ metric, chart, canvas: fig.canvas, caption: fig.caption });
    }
    this.element = h("div", { class: "wm-comparison" },
      h("header", { class: "wm-header" }, h("div", { class: "wm-title-row" }, this.title)),
      this.note,
      section("comparison", "Side by side", h("div", { class: "wm-table-wrap" }, this.table.element), grid));
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    if (this.view) this.update(this.view);
  }

  update(view: ComparisonView): void {
    this.view = view;
    text(this.title, `Comparing ${view.rows.length} profile${view.rows.length === 1 ? "" : "s"}`);
    this.note.hidden = view.pss;
    text(this.note, view.pss ? "" : "PSS unavailable on this platform for at least one profile: its Σ PSS is not reported.");
    this.table.setRows(view.rows);
    const labels = view.rows.map((r) => r.label);
    const colors = view.rows.map((_, i) => paletteColor(this.theme, i));
    for (const c of this.charts) {
      c.chart.data.labels = labels;
      c.chart.data.datasets = [{ label: c.metric.label, data: view.rows.map(c.metric.value), backgroundColor: colors.map((x) => withAlpha(x, 0.7)), borderColor: colors, borderWidth: 1 }];
      c.chart.update("none");
      const alt = `${c.metric.label}: ${view.rows.map((r) => `${r.label} ${c.metric.format(c.metric.value(r))}`).join(", ")}.`;
      text(c.caption, alt);
      c.canvas.setAttribute("aria-label", alt);
    }
  }

  destroy(): void {
    for (const c of this.charts) c.chart.destroy();
  }
}
