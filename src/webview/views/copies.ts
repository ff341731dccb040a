/** Bytes copied: over time by channel, the top call sites (bar chart + sortable table), per channel. */
import type { ChartDataset } from "chart.js";
import type { CopiesView, SiteRow } from "../../protocol/webview";
import { formatBytes, formatCount, formatMs, formatSeconds, shortFile } from "../../core/view/format";
import { Chart, baseOptions, makeChart } from "../charts";
import { h, replaceChildren, text } from "../dom";
import { SortableTable, type SortState } from "../table";
import { paletteColor, withAlpha, type Theme } from "../theme";
import { chartFigure, dataDetails, section, siteLink, type Ctx } from "./common";

type Pt = { x: number; y: number };
/** Bars in the call-site chart (the table lists up to 50). */
const BARS = 15;

function siteLabel(r: SiteRow): string {
  const where = r.site ? `${shortFile(r.site.file)}:${r.site.line}` : "(unknown)";
  return `${where} ${r.channel} ${r.direction}`;
}

export class CopiesSection {
  readonly element: HTMLElement;
  private readonly timeline: Chart<"line", Pt[]>;
  private readonly timelineCanvas: HTMLCanvasElement;
  private readonly timelineCaption: HTMLElement;
  private readonly timelineBody = h("tbody");
  private readonly bars: Chart<"bar", number[], string>;
  private readonly barsCanvas: HTMLCanvasElement;
  private readonly barsCaption: HTMLElement;
  private readonly sitesTable: SortableTable<SiteRow>;
  private readonly sitesNote = h("p", { class: "wm-note" });
  private readonly empty = h("p", { class: "wm-empty", hidden: true }, "No bytes copied between processes (yet).");
  private copies: CopiesView | null = null;
  private barRows: SiteRow[] = [];
  private xMax = 0;

  constructor(private theme: Theme, private readonly ctx: Ctx, sort: SortState | null, onSort: (s: SortState) => void) {
    const tl = chartFigure("wm-copies-chart", "Bytes sent per time bucket, by channel.");
    this.timelineCanvas = tl.canvas;
    this.timelineCaption = tl.caption;
    const bars = chartFigure("wm-sites-chart", "Top call sites by bytes copied.", "bar");
    this.barsCanvas = bars.canvas;
    this.barsCaption = bars.caption;
    this.sitesTable = new SortableTable<SiteRow>({
      id: "wm-sites-table",
      caption: "Call sites that copied data between processes",
      rowKey: (r) => r.key,
      sort,
      onSort,
      empty: "No call sites recorded.",
      columns: [
        { id: "site", label: "Site", sort: (r) => (r.site ? `${r.site.file}:${String(r.site.line).padStart(8, "0")}` : null), cell: (r) => siteLink(this.ctx, r.site) },
        { id: "function", label: "Function", sort: (r) => r.site?.function ?? null, cell: (r) => h("code", null, r.site?.function ?? "–") },
        { id: "channel", label: "Channel", sort: (r) => r.channel, cell: (r) => r.channel },
        { id: "direction", label: "Direction", sort: (r) => r.direction, cell: (r) => r.direction },
        { id: "count", label: "Count", numeric: true, sort: (r) => r.count, cell: (r) => formatCount(r.count) },
        { id: "bytes", label: "Bytes", numeric: true, title: "Serialized bytes (pickle size)", sort: (r) => r.bytes, cell: (r) => formatBytes(r.bytes) },
        { id: "pickle", label: "Pickling ms", numeric: true, title: "Time spent serializing (send) or deserializing (recv)", sort: (r) => r.pickleMs, cell: (r) => formatMs(r.pickleMs) },
        { id: "processes", label: "Processes", numeric: true, sort: (r) => r.processes, cell: (r) => formatCount(r.processes) },
      ],
    });
    const tlTable = h("table", { class: "wm-table", id: "wm-copies-table" },
      h("caption", { class: "wm-sr" }, "Bytes copied per channel and direction"),
      h("thead", null, h("tr", null, ...["Channel", "Direction", "Bytes", "Messages", "Pickling ms", "Peak bucket"].map((l, i) => h("th", { scope: "col", class: i >= 2 ? "num" : null }, l)))),
      this.timelineBody);
    this.element = section("copies", "Bytes copied between processes",
      this.empty,
      tl.figure,
      dataDetails("Bytes copied data table (per channel)", tlTable),
      h("h3", { id: "wm-sites-h" }, "Top call sites"),
      bars.figure,
      this.sitesNote,
      h("div", { class: "wm-table-wrap" }, this.sitesTable.element));

    this.timeline = makeChart<"line", Pt[]>(this.timelineCanvas, {
      type: "line",
      data: { datasets: [] },
      options: {
        ...baseOptions<"line">(),
        parsing: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        elements: { point: { radius: 0, hitRadius: 4 }, line: { borderWidth: 1.5, tension: 0 } },
        scales: {
          x: { type: "linear", min: 0, ticks: { callback: (v) => formatSeconds(Number(v)), maxTicksLimit: 12 }, title: { display: true, text: "time since start" } },
          y: { type: "linear", stacked: true, beginAtZero: true, ticks: { callback: (v) => formatBytes(Number(v)) } },
        },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label ?? ""}: ${formatBytes(c.parsed.y)}`, title: (items) => items[0] ? formatSeconds(items[0].parsed.x ?? 0) : "" } } },
      },
    });
    this.bars = makeChart<"bar", number[], string>(this.barsCanvas, {
      type: "bar",
      data: { labels: [], datasets: [] },
      options: {
        ...baseOptions<"bar">(),
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => formatBytes(Number(v)) } }, y: { ticks: { autoSkip: false } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => {
            const r = this.barRows[c.dataIndex];
            return r ? [`${formatBytes(r.bytes)} in ${formatCount(r.count)} messages`, `pickling ${formatMs(r.pickleMs)} ms`, r.site ? `${r.site.function} — ${r.site.file}` : ""] : "";
          } } },
        },
        onClick: (_e, elements) => {
          const r = elements[0] ? this.barRows[elements[0].index] : undefined;
          if (r?.site) this.ctx.openSite(r.site);
        },
        onHover: (_e, elements) => {
          this.barsCanvas.style.cursor = elements.length > 0 && this.barRows[elements[0]?.index ?? -1]?.site ? "pointer" : "default";
        },
      },
    });
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    if (this.copies) this.update(this.copies, this.xMax, new Set(["timeline", "sites", "byChannel"]));
  }

  update(copies: CopiesView, xMax: number, sections: Set<string>): void {
    this.copies = copies;
    this.xMax = xMax;
    const any = copies.byChannel.length > 0 || copies.timeline.channels.length > 0;
    this.empty.hidden = any;
    if (sections.has("timeline")) this.drawTimeline(copies);
    if (sections.has("sites")) this.drawSites(copies);
    if (sections.has("byChannel") || sections.has("timeline")) this.renderChannelTable(copies);
  }

  private drawTimeline(copies: CopiesView): void {
    const tl = copies.timeline;
    const datasets: ChartDataset<"line", Pt[]>[] = tl.channels.map((c, i) => {
      const color = paletteColor(this.theme, i);
      const data: Pt[] = new Array(tl.t.length);
      for (let k = 0; k < tl.t.length; k++) data[k] = { x: tl.t[k] as number, y: c.bytes[k] ?? 0 };
      return { label: c.channel, data, borderColor: color, backgroundColor: withAlpha(color, 0.35), fill: i === 0 ? "origin" : "-1" };
    });
    const x = this.timeline.options.scales?.x as { max?: number } | undefined;
    if (x) x.max = this.xMax > 0 ? this.xMax : undefined;
    const y = this.timeline.options.scales?.y as { title?: { display?: boolean; text?: string } } | undefined;
    if (y) y.title = { display: true, text: `bytes per ${formatSeconds(tl.bucketMs)}` };
    this.timeline.data.datasets = datasets;
    this.timeline.update("none");
    const total = tl.channels.reduce((a, c) => a + c.total, 0);
    const cap = tl.channels.length === 0
      ? "Bytes sent over time: nothing sent yet."
      : `Bytes sent over time by channel, stacked, in ${formatSeconds(tl.bucketMs)} buckets: ${tl.channels.map((c) => `${c.channel} ${formatBytes(c.total)}`).join(", ")} (total ${formatBytes(total)}).`;
    text(this.timelineCaption, cap);
    this.timelineCanvas.setAttribute("aria-label", cap);
  }

  private drawSites(copies: CopiesView): void {
    this.barRows = copies.sites.slice(0, BARS);
    const color = paletteColor(this.theme, 0);
    this.bars.data.labels = this.barRows.map(siteLabel);
    this.bars.data.datasets = [{ label: "bytes", data: this.barRows.map((r) => r.bytes), backgroundColor: withAlpha(color, 0.7), borderColor: color, borderWidth: 1 }];
    // Height follows the number of bars.
    const box = this.barsCanvas.parentElement;
    if (box) box.style.height = `${Math.max(80, 24 * this.barRows.length + 40)}px`;
    this.bars.update("none");
    const cap = this.barRows.length === 0
      ? "Top call sites: none recorded yet."
      : `Top ${this.barRows.length} call sites by bytes copied: ${this.barRows.slice(0, 5).map((r) => `${siteLabel(r)} ${formatBytes(r.bytes)}`).join("; ")}${this.barRows.length > 5 ? "; …" : ""}. ${this.ctx.inVsCode ? "Click a bar or a site in the table to open it." : "All sites are listed in the table below."}`;
    text(this.barsCaption, cap);
    this.barsCanvas.setAttribute("aria-label", cap);
    text(this.sitesNote, copies.sitesTotal > copies.sites.length ? `Showing the top ${copies.sites.length} of ${copies.sitesTotal} site rows.` : "");
    this.sitesTable.setRows(copies.sites);
  }

  private renderChannelTable(copies: CopiesView): void {
    const peaks = new Map(copies.timeline.channels.map((c) => [c.channel, Math.max(0, ...c.bytes)]));
    const rows = copies.byChannel.map((c) => h("tr", null,
      h("td", null, c.channel), h("td", null, c.direction),
      h("td", { class: "num" }, formatBytes(c.bytes)), h("td", { class: "num" }, formatCount(c.count)),
      h("td", { class: "num" }, formatMs(c.pickleMs)),
      h("td", { class: "num" }, c.direction === "send" ? formatBytes(peaks.get(c.channel) ?? null) : "–")));
    if (rows.length === 0) rows.push(h("tr", null, h("td", { colspan: 6, class: "wm-empty" }, "No copies recorded.")));
    replaceChildren(this.timelineBody, ...rows);
  }

  destroy(): void {
    this.timeline.destroy();
    this.bars.destroy();
  }
}
