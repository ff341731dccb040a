/**
 * Memory over time: per process, USS (private) with shared (PSS − USS, or RSS − USS without PSS)
 * stacked on top; or one metric per process (RSS / PSS / USS / private dirty); optional Σ line.
 */
import type { LegendItem } from "chart.js";
import type { MemorySeriesView, MemoryView, ProfileMeta } from "../../protocol/webview";
import { formatBytes, formatCount } from "../../core/view/format";
import { baseOptions } from "../charts";
import { h, replaceChildren, text } from "../dom";
import type { MemoryMode } from "../host";
import { LinePlot, timeBytesScales, type PlotLine } from "../linePlot";
import { paletteColor, withAlpha, type Theme } from "../theme";
import { chartFigure, dataDetails, section } from "./common";

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
const SUM_KEY = "Σ";

/**
 * The top of the USS + shared stack (PSS, or RSS without PSS). Stacked by hand: the shared part
 * is top − USS, and both lines share the sample indices.
 */
function stackTop(s: MemorySeriesView, pss: boolean): Float64Array {
  const top = pss ? s.pss : s.rss;
  const out = new Float64Array(s.t.length);
  for (let i = 0; i < out.length; i++) {
    const u = s.uss[i];
    const v = top[i];
    out[i] = u === null || u === undefined || v === null || v === undefined ? NaN : Math.max(u, v);
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
  private readonly plot: LinePlot;
  private readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private readonly note = h("p", { class: "wm-note", hidden: true });
  private readonly empty = h("p", { class: "wm-empty", hidden: true });
  private readonly figure: HTMLElement;
  private readonly radios = new Map<MemoryMode, HTMLInputElement>();
  private readonly sumBox: HTMLInputElement;
  private readonly tableBody = h("tbody");
  private readonly hidden = new Set<string>();
  private readonly rows = new Map<string, { tr: HTMLTableRowElement; box: HTMLInputElement; cells: HTMLElement[]; shown: string[]; label: string; checked: boolean }>();
  /** Stack tops per series object (a delta replaces the objects of the series it changes). */
  private readonly tops = new WeakMap<MemorySeriesView, Map<boolean, Float64Array>>();
  private legendItems: LegendItem[] = [];
  private palette: { color: string; uss: string; shared: string; sharedFill: string }[] = [];
  private legendKeys: string[] = [];
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
    this.plot = new LinePlot(this.canvas, {
      ...baseOptions<"line">(),
      scales: timeBytesScales(),
      plugins: {
        legend: {
          labels: { boxWidth: 10, boxHeight: 10, generateLabels: () => this.legendItems },
          onClick: (_e, item) => this.toggleKey(this.legendKeys[item.datasetIndex ?? -1]),
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
    this.palette = [];
    this.plot.invalidate();
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

  /** Process i's line and area colours (memoized: parsing colours is not free at 64 processes × 4 Hz). */
  private colors(i: number): { color: string; uss: string; shared: string; sharedFill: string } {
    let c = this.palette[i];
    if (!c) {
      const color = paletteColor(this.theme, i);
      c = { color, uss: withAlpha(color, 0.3), shared: withAlpha(color, 0.55), sharedFill: withAlpha(color, 0.12) };
      this.palette[i] = c;
    }
    return c;
  }

  private stackTop(s: MemorySeriesView, pss: boolean): Float64Array {
    let m = this.tops.get(s);
    if (!m) { m = new Map(); this.tops.set(s, m); }
    let top = m.get(pss);
    if (!top) { top = stackTop(s, pss); m.set(pss, top); }
    return top;
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
    const lines: PlotLine[] = [];
    const legend: LegendItem[] = [];
    const keys: string[] = [];
    const usePss = meta.pss;
    const addLegend = (key: string, label: string, color: string, fill: string, lineDash?: number[]) => {
      legend.push({ text: label, fillStyle: fill, strokeStyle: color, lineWidth: 1, lineDash, hidden: this.hidden.has(key), datasetIndex: keys.length });
      keys.push(key);
    };
    mem.series.forEach((s, i) => {
      const { color, uss: ussFill, shared, sharedFill } = this.colors(i);
      const hidden = this.hidden.has(s.key);
      if (this.mode === "breakdown") {
        addLegend(s.key, s.label, color, ussFill);
        if (hidden) return;
        const uss = s.uss;
        const top = this.stackTop(s, usePss);
        lines.push({
          id: `${s.key}:uss`, group: s.key, t: s.t, y: uss, color, width: 1, fill: many ? null : ussFill,
          tip: (k) => `${s.label}: ${formatBytes(uss[k])}`,
        });
        lines.push({
          // No dash: dashed strokes cost far more than solid ones.
          id: `${s.key}:shared`, group: s.key, t: s.t, y: top, base: uss, color: shared, width: 1, fill: many ? null : sharedFill,
          tip: (k) => `${s.label} · shared: ${formatBytes(Math.max(0, (top[k] as number) - (uss[k] ?? 0)))} (USS + shared ${formatBytes(top[k])})`,
        });
      } else {
        const m = this.mode;
        addLegend(s.key, s.label, color, color);
        if (hidden) return;
        const y = s[m];
        lines.push({ id: `${s.key}:${m}`, t: s.t, y, color, width: 1, tip: (k) => `${s.label}: ${formatBytes(y[k])}` });
      }
    });
    if (this.showSum && mem.sum) {
      const sum = mem.sum;
      const metric = this.mode === "breakdown" ? (usePss ? "pss" : "rss") : this.mode;
      const label = `Σ all processes (${metric === "privateDirty" ? "private dirty" : metric.toUpperCase()})`;
      addLegend(SUM_KEY, label, this.theme.sum, this.theme.sum, [6, 3]);
      if (!this.hidden.has(SUM_KEY)) {
        const y = sum[metric];
        lines.push({ id: SUM_KEY, t: sum.t, y, color: this.theme.sum, width: 2, dash: [6, 3], tip: (k) => `${label}: ${formatBytes(y[k])}` });
      }
    }
    this.legendItems = legend;
    this.legendKeys = keys;
    const legendOptions = this.plot.chart.options.plugins?.legend;
    if (legendOptions) legendOptions.display = !many;
    // Legend entries are part of the frame only while the legend is shown.
    this.plot.setLines(lines, this.xMax, many ? "many" : legend.map((l) => `${l.text}\t${l.hidden}\t${String(l.fillStyle)}`).join("\n"));
    const n = mem.series.length;
    const modeText = this.mode === "breakdown"
      ? `USS (solid line${many ? "" : ", filled"}) with shared memory (${usePss ? "PSS − USS" : "RSS − USS"}) stacked on top (faint line, so the faint line is ${usePss ? "PSS" : "RSS"})`
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
        row = { tr: h("tr", { "data-key": s.key }, h("td", null, box), ...cells), box, cells, shown: [], label: "", checked: false };
        this.rows.set(s.key, row);
      }
      // Compared with what the row shows (kept here), so unchanged cells cost no DOM access.
      if (row.label !== s.label) { row.label = s.label; row.box.setAttribute("aria-label", `Show ${s.label}`); }
      const checked = !this.hidden.has(s.key);
      if (row.checked !== checked) { row.checked = checked; row.box.checked = checked; }
      const values = [s.label, formatCount(s.samples), formatBytes(peak(s.rss)), formatBytes(peak(s.pss)), formatBytes(peak(s.uss)),
        formatBytes(peak(s.privateDirty)), formatBytes(s.rss[s.rss.length - 1] ?? null)];
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as string;
        if (row.shown[i] !== v) { row.shown[i] = v; (row.cells[i] as HTMLElement).textContent = v; }
      }
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
    this.plot.destroy();
  }
}
