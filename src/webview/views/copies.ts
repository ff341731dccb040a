/** Bytes copied: over time by channel, the top call sites (bar chart + sortable table), per channel. */
import type { CopiesView, CopyTimelineView, SiteRow } from "../../protocol/webview";
import { formatBytes, formatCount, formatMs, formatSeconds, shortFile } from "../../core/view/format";
import { Chart, baseOptions, makeChart } from "../charts";
import { h, replaceChildren, text } from "../dom";
import { LinePlot, timeBytesScales, type PlotLine } from "../linePlot";
import { SortableTable, type SortState } from "../table";
import { paletteColor, withAlpha, type Theme } from "../theme";
import { chartFigure, dataDetails, section, siteLink, type Ctx } from "./common";

/** Bars in the call-site chart (the table lists up to 50). */
const BARS = 15;

function siteLabel(r: SiteRow): string {
  const where = r.site ? `${shortFile(r.site.file)}:${r.site.line}` : "(unknown)";
  return `${where} ${r.channel} ${r.direction}`;
}

export class CopiesSection {
  readonly element: HTMLElement;
  private readonly timeline: LinePlot;
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
  /** Each channel's top edge in the stack (running sums), for the last timeline drawn. */
  private stacked: { timeline: CopyTimelineView; hidden: string; tops: (Float64Array | null)[] } | null = null;
  /** Channels switched off in the legend. */
  private readonly hiddenChannels = new Set<string>();
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

    this.timeline = new LinePlot(this.timelineCanvas, {
      ...baseOptions<"line">(),
      scales: timeBytesScales(),
      plugins: {
        legend: {
          labels: { boxWidth: 10, boxHeight: 10, generateLabels: () => (this.copies?.timeline.channels ?? []).map((c, i) => {
            const color = paletteColor(this.theme, i);
            return { text: c.channel, fillStyle: withAlpha(color, 0.35), strokeStyle: color, lineWidth: 1, hidden: this.hiddenChannels.has(c.channel), datasetIndex: i };
          }) },
          onClick: (_e, item) => {
            if (this.hiddenChannels.has(item.text)) this.hiddenChannels.delete(item.text); else this.hiddenChannels.add(item.text);
            if (this.copies) this.drawTimeline(this.copies);
          },
        },
      },
    });
    this.bars = makeChart<"bar", number[], string>(this.barsCanvas, {
      type: "bar",
      data: { labels: [], datasets: [] },
      options: {
        ...baseOptions<"bar">(),
        indexAxis: "y",
        // Fixed label rotation: Chart.js skips fitting it (it is re-laid out at every live update).
        scales: { x: { beginAtZero: true, ticks: { callback: (v) => formatBytes(Number(v)), minRotation: 0, maxRotation: 0 } }, y: { ticks: { autoSkip: false } } },
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
    this.timeline.invalidate();
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
    const hidden = [...this.hiddenChannels].join("\n");
    if (this.stacked?.timeline !== tl || this.stacked.hidden !== hidden) {
      // Stacked by hand: each shown channel's area sits on the top edge of the shown one before it.
      let below: Float64Array | null = null;
      const tops = tl.channels.map((c) => {
        if (this.hiddenChannels.has(c.channel)) return null;
        const top = new Float64Array(tl.t.length);
        for (let k = 0; k < top.length; k++) top[k] = (below ? (below[k] as number) : 0) + (c.bytes[k] ?? 0);
        below = top;
        return top;
      });
      this.stacked = { timeline: tl, hidden, tops };
    }
    const lines: PlotLine[] = [];
    let base: Float64Array | undefined;
    tl.channels.forEach((c, i) => {
      const top = this.stacked?.tops[i];
      if (!top) return;
      const color = paletteColor(this.theme, i);
      lines.push({ id: c.channel, group: "channels", t: tl.t, y: top, base, color, width: 1, fill: withAlpha(color, 0.35), tip: (k) => `${c.channel}: ${formatBytes(c.bytes[k] ?? 0)}` });
      base = top;
    });
    const yTitle = `bytes per ${formatSeconds(tl.bucketMs)}`;
    const y = this.timeline.chart.options.scales?.y as { title?: { display?: boolean; text?: string } } | undefined;
    if (y && y.title?.text !== yTitle) y.title = { display: true, text: yTitle };
    this.timeline.setLines(lines, this.xMax, `${yTitle}\n${tl.channels.map((c) => c.channel).join(",")}\n${hidden}`);
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
