/**
 * Memory over time: per process, USS (private) with shared (PSS − USS, or RSS − USS without PSS)
 * stacked on top; or one metric per process (RSS / PSS / USS / private dirty); optional Σ line.
 */
import type { ChartDataset, LegendItem } from "chart.js";
import type { MemorySeriesView, MemorySumView, MemoryView, ProfileMeta } from "../../protocol/webview";
import { formatBytes, formatCount, formatSeconds } from "../../core/view/format";
import { Chart, baseOptions, makeChart } from "../charts";
import { h, replaceChildren, text } from "../dom";
import type { MemoryMode } from "../host";
import { paletteColor, withAlpha, type Theme } from "../theme";
import { chartFigure, dataDetails, section } from "./common";

/** A plotted point; `s` is the shared part when y is the top of a USS + shared stack. */
type Pt = { x: number; y: number; s?: number };
type DS = ChartDataset<"line", Pt[]> & { wmKey?: string };

const MODE_LABELS: Record<MemoryMode, string> = {
  breakdown: "USS + shared (stacked)",
  rss: "RSS",
  pss: "PSS",
  uss: "USS",
  privateDirty: "Private dirty",
};
const MODE_HELP: Record<MemoryMode, string> = {
  breakdown: "Private (USS) memory, with the process's share of shared pages stacked on top.",
  rss: "Resident set size: shared pages counted in full by every process.",
  pss: "Proportional set size: shared pages divided among the processes that map them.",
  uss: "Unique set size: pages only this process maps.",
  privateDirty: "Private dirty pages: in a fork child, pages copied on write (COW breakage).",
};
/** Above this many processes: lines instead of filled areas, and the legend moves to the data table. */
const MANY = 12;

function points(t: readonly number[], y: readonly (number | null)[]): Pt[] {
  const out: Pt[] = [];
  for (let i = 0; i < t.length; i++) {
    const v = y[i];
    if (v !== null && v !== undefined) out.push({ x: t[i] as number, y: v });
  }
  return out;
}

/**
 * The top of the USS + shared stack (PSS, or RSS without PSS), with the shared part in `s`.
 * Stacked by hand: Chart.js's own stacking is O(points × datasets) and freezes at 64 processes.
 */
function sharedPoints(s: MemorySeriesView | MemorySumView, pss: boolean): Pt[] {
  const out: Pt[] = [];
  const top = pss ? s.pss : s.rss;
  for (let i = 0; i < s.t.length; i++) {
    const u = s.uss[i];
    const v = top[i];
    if (u === null || u === undefined || v === null || v === undefined) continue;
    out.push({ x: s.t[i] as number, y: Math.max(u, v), s: Math.max(0, v - u) });
  }
  return out;
}

function peak(values: readonly (number | null)[]): number | null {
  let m: number | null = null;
  for (const v of values) if (v !== null && v !== undefined && (m === null || v > m)) m = v;
  return m;
}

export class MemorySection {
  readonly element: HTMLElement;
  private readonly chart: Chart<"line", Pt[]>;
  private readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private readonly note = h("p", { class: "wm-note", hidden: true });
  private readonly empty = h("p", { class: "wm-empty", hidden: true });
  private readonly figure: HTMLElement;
  private readonly radios = new Map<MemoryMode, HTMLInputElement>();
  private readonly sumBox: HTMLInputElement;
  private readonly tableBody = h("tbody");
  private readonly hidden = new Set<string>();
  private readonly rows = new Map<string, { tr: HTMLTableRowElement; box: HTMLInputElement; cells: HTMLElement[] }>();
  private readonly cache = new WeakMap<object, Map<string, Pt[]>>();
  private memory: MemoryView | null = null;
  private meta: ProfileMeta | null = null;
  private xMax = 0;

  constructor(private theme: Theme, private mode: MemoryMode, private showSum: boolean, private readonly onUi: (mode: MemoryMode, showSum: boolean) => void) {
    const fig = chartFigure("wm-memory-chart", "Memory over time, per process.", "tall");
    this.canvas = fig.canvas;
    this.caption = fig.caption;
    this.figure = fig.figure;
    const group = h("div", { class: "wm-radios", role: "radiogroup", "aria-label": "Memory metric" });
    for (const m of Object.keys(MODE_LABELS) as MemoryMode[]) {
      const input = h("input", { type: "radio", name: "wm-memory-mode", value: m, id: `wm-mode-${m}`, on: { change: () => this.setMode(m) } });
      this.radios.set(m, input);
      group.appendChild(h("label", { for: `wm-mode-${m}`, title: MODE_HELP[m] }, input, MODE_LABELS[m]));
    }
    this.sumBox = h("input", { type: "checkbox", id: "wm-show-sum", on: { change: () => { this.showSum = this.sumBox.checked; this.onUi(this.mode, this.showSum); this.redraw(); } } });
    this.sumBox.checked = showSum;
    const table = h("table", { class: "wm-table", id: "wm-memory-table" },
      h("caption", { class: "wm-sr" }, "Peak memory per process (the chart's data in figures)"),
      h("thead", null, h("tr", null, ...["Show", "Process", "Samples", "Peak RSS", "Peak PSS", "Peak USS", "Peak private dirty", "Last RSS"]
        .map((l, i) => h("th", { scope: "col", class: i >= 2 ? "num" : null }, l)))),
      this.tableBody);
    this.element = section("memory", "Memory over time",
      h("div", { class: "wm-controls" }, group, h("label", { for: "wm-show-sum", class: "wm-check" }, this.sumBox, "Σ all processes")),
      this.note,
      this.empty,
      fig.figure,
      dataDetails("Memory data table (per process)", table));
    this.chart = makeChart<"line", Pt[]>(this.canvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        ...baseOptions<"line">(),
        parsing: false,
        spanGaps: true,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        elements: { point: { radius: 0, hitRadius: 4 }, line: { borderWidth: 1.5, tension: 0 } },
        scales: {
          x: { type: "linear", min: 0, ticks: { callback: (v) => formatSeconds(Number(v)), maxTicksLimit: 12 }, title: { display: true, text: "time since start" } },
          y: { type: "linear", beginAtZero: true, ticks: { callback: (v) => formatBytes(Number(v)) } },
        },
        plugins: {
          legend: {
            labels: { boxWidth: 10, boxHeight: 10, filter: (item: LegendItem, data) => !(data.datasets[item.datasetIndex ?? 0] as DS).label?.endsWith(" · shared") },
            onClick: (_e, item) => this.toggleKey((this.chart.data.datasets[item.datasetIndex ?? 0] as DS).wmKey),
          },
          tooltip: { callbacks: { label: (c) => {
            const raw = c.raw as Pt;
            return raw.s !== undefined ? `${c.dataset.label ?? ""}: ${formatBytes(raw.s)} (USS + shared ${formatBytes(raw.y)})` : `${c.dataset.label ?? ""}: ${formatBytes(c.parsed.y)}`;
          }, title: (items) => items[0] ? formatSeconds(items[0].parsed.x ?? 0) : "" } },
        },
      },
    });
  }

  private setMode(m: MemoryMode): void {
    this.mode = m;
    this.onUi(this.mode, this.showSum);
    this.redraw();
  }

  private toggleKey(key: string | undefined): void {
    if (!key) return;
    if (this.hidden.has(key)) this.hidden.delete(key); else this.hidden.add(key);
    this.redraw();
    this.renderTable();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.redraw();
  }

  update(memory: MemoryView, meta: ProfileMeta, xMax: number): void {
    this.memory = memory;
    this.meta = meta;
    this.xMax = xMax;
    const canBreakdown = meta.uss;
    const radio = (m: MemoryMode, enabled: boolean) => { const r = this.radios.get(m); if (r) r.disabled = !enabled; };
    radio("breakdown", canBreakdown);
    radio("pss", meta.pss);
    radio("uss", meta.uss);
    if ((this.mode === "breakdown" && !canBreakdown) || (this.mode === "pss" && !meta.pss) || (this.mode === "uss" && !meta.uss)) this.mode = "rss";
    for (const [m, r] of this.radios) r.checked = m === this.mode;
    this.note.hidden = meta.pss;
    text(this.note, meta.pss ? "" : meta.uss
      ? "PSS unavailable on this platform: shared is shown as RSS − USS (shared pages counted in full per process)."
      : "PSS unavailable on this platform, and USS too: only RSS is shown.");
    this.redraw();
    this.renderTable();
  }

  private cached(s: object, id: string, make: () => Pt[]): Pt[] {
    let m = this.cache.get(s);
    if (!m) { m = new Map(); this.cache.set(s, m); }
    let p = m.get(id);
    if (!p) { p = make(); m.set(id, p); }
    return p;
  }

  private redraw(): void {
    const mem = this.memory;
    const meta = this.meta;
    if (!mem || !meta) return;
    const none = mem.series.length === 0;
    this.figure.hidden = none;
    this.empty.hidden = !none;
    text(this.empty, none ? (meta.live ? "No memory samples yet." : "No memory samples were recorded for this run.") : "");
    const many = mem.series.length > MANY;
    const datasets: DS[] = [];
    const usePss = meta.pss;
    mem.series.forEach((s, i) => {
      const color = paletteColor(this.theme, i);
      const hidden = this.hidden.has(s.key);
      if (this.mode === "breakdown") {
        datasets.push({
          label: s.label, wmKey: s.key, data: this.cached(s, "uss", () => points(s.t, s.uss)), hidden,
          borderColor: color, backgroundColor: withAlpha(color, 0.3), fill: many ? false : "origin",
        });
        datasets.push({
          label: `${s.label} · shared`, wmKey: s.key, data: this.cached(s, `shared:${usePss}`, () => sharedPoints(s, usePss)), hidden,
          // No borderDash: dashed lines lose Chart.js's per-pixel fast path (all points stroked).
          borderColor: withAlpha(color, 0.55), borderWidth: 1, backgroundColor: withAlpha(color, 0.12), fill: many ? false : "-1",
        });
      } else {
        const m = this.mode;
        datasets.push({ label: s.label, wmKey: s.key, data: this.cached(s, m, () => points(s.t, s[m])), hidden, borderColor: color, backgroundColor: color, fill: false });
      }
    });
    if (this.showSum && mem.sum) {
      const sum = mem.sum;
      const metric = this.mode === "breakdown" ? (usePss ? "pss" : "rss") : this.mode;
      datasets.push({
        label: `Σ all processes (${metric === "privateDirty" ? "private dirty" : metric.toUpperCase()})`, wmKey: "Σ",
        data: this.cached(sum, metric, () => points(sum.t, sum[metric])),
        borderColor: this.theme.sum, backgroundColor: this.theme.sum, borderWidth: 2, borderDash: [6, 3], fill: false,
      });
    }
    const o = this.chart.options;
    if (o.scales?.x) (o.scales.x as { max?: number }).max = this.xMax > 0 ? this.xMax : undefined;
    if (o.plugins?.legend) o.plugins.legend.display = !many;
    this.chart.data.datasets = datasets;
    this.chart.update("none");
    const n = mem.series.length;
    const modeText = this.mode === "breakdown"
      ? `USS (bold line${many ? "" : ", filled"}) with shared memory (${usePss ? "PSS − USS" : "RSS − USS"}) stacked on top (thin line, so the thin line is ${usePss ? "PSS" : "RSS"})`
      : MODE_LABELS[this.mode];
    const cap = `Memory over time, ${n} process${n === 1 ? "" : "es"}: ${modeText}.${many ? " Legend: see the data table (Show checkboxes)." : ""}`;
    text(this.caption, cap);
    this.canvas.setAttribute("aria-label", `${cap} Peak Σ figures are in the header; per-process peaks in the data table below.`);
  }

  private renderTable(): void {
    const mem = this.memory;
    if (!mem) return;
    // Rows are kept per process and updated in place, so keyboard focus survives live updates.
    const keep = new Set<string>();
    const rows: HTMLTableRowElement[] = [];
    for (const s of mem.series) {
      keep.add(s.key);
      let row = this.rows.get(s.key);
      if (!row) {
        const box = h("input", { type: "checkbox", on: { change: () => this.toggleKey(s.key) } });
        const cells = Array.from({ length: 7 }, (_, i) => h("td", { class: i >= 1 ? "num" : null }));
        row = { tr: h("tr", { "data-key": s.key }, h("td", null, box), ...cells), box, cells };
        this.rows.set(s.key, row);
      }
      row.box.setAttribute("aria-label", `Show ${s.label}`);
      row.box.checked = !this.hidden.has(s.key);
      const values = [s.label, formatCount(s.samples), formatBytes(peak(s.rss)), formatBytes(peak(s.pss)), formatBytes(peak(s.uss)),
        formatBytes(peak(s.privateDirty)), formatBytes(s.rss[s.rss.length - 1] ?? null)];
      values.forEach((v, i) => text(row.cells[i] as HTMLElement, v));
      rows.push(row.tr);
    }
    for (const k of [...this.rows.keys()]) if (!keep.has(k)) this.rows.delete(k);
    if (rows.length === 0) {
      replaceChildren(this.tableBody, h("tr", null, h("td", { colspan: 8, class: "wm-empty" }, "No memory samples yet.")));
      return;
    }
    const current = Array.from(this.tableBody.children);
    if (current.length !== rows.length || current.some((tr, i) => tr !== rows[i])) this.tableBody.replaceChildren(...rows);
  }

  destroy(): void {
    this.chart.destroy();
  }
}
