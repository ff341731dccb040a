/**
 * Line charts with many points: Chart.js draws the frame (axes, grid, legend) and this layer draws
 * the lines and areas straight from the view's columns, with its own hover tooltip.
 *
 * Why not one Chart.js dataset per line: Chart.js re-resolves every dataset's options and
 * re-positions every point element on each update, 20–40 ms for 128 lines × 500 points even when
 * nothing changed, which a 4 Hz live panel would pay on every delta. Here a live delta usually
 * changes only the last few points of each (decimated) line, and costs about that:
 * - each line is split into a head, cached as a Path2D in pixels, and a short tail after it;
 * - the frame and the heads are on the Chart.js canvas, redrawn only when the axes, the legend or
 *   a head change (rarely: the time axis moves in steps while live, see core/view/axis.ts);
 * - the tails are on a transparent canvas over it, redrawn on every update.
 *
 * Without a GPU the canvases are rasterized in software, on the page's main thread when the
 * frame is committed. There a jagged polygon or a stroke wider than one device pixel costs in
 * proportion to how often each scanline crosses it (~100 ms for 2,000 random buckets), so areas
 * are filled as one rectangle per device-pixel column and dense lines are 1 px hairlines (~2 ms),
 * which look the same on screen.
 */
import type { Chart, ChartOptions, Plugin, Scale } from "chart.js";
import { formatBytes, formatSeconds } from "../core/view/format";
import { makeChart } from "./charts";
import { h, replaceChildren } from "./dom";

/** Values on the indices of `t`; null or NaN: no value (the line spans the gap). */
export type Values = ArrayLike<number | null>;

export interface PlotLine {
  /** Stable across updates (keys the cached paths). */
  id: string;
  /** Times (ms), ascending. */
  t: ArrayLike<number>;
  y: Values;
  color: string;
  /** CSS pixels; dense lines stay at 1 (the hairline fast path of software raster). */
  width: number;
  dash?: number[];
  /** Area colour: down to `base` (same indices), or to zero without it. */
  fill?: string | null;
  base?: Values;
  /** Tooltip text for point i. */
  tip(i: number): string;
  /** Lines of one group share `t`: the tooltip of a point lists every line of its group there. */
  group?: string;
}

interface Hit { line: number; i: number }

/** px = a + k·v for each axis, device pixels per CSS pixel, and all of it as a string. */
interface Affine { x: [number, number]; y: [number, number]; dpr: number; key: string }

/**
 * A line's head grows by CHUNK points and ends at least TAIL points before its last point: a live
 * delta changes the last few points of a decimated series (src/core/view/lttb.ts).
 */
const CHUNK = 32;
const TAIL = 8;

interface LinePaths {
  t: ArrayLike<number>;
  y: Values;
  key: string;
  head: Path2D;
  /** Last point of the head (0: no head). */
  headEnd: number;
  /** Changes whenever the head does (what the Chart.js canvas shows is checked against it). */
  headSerial: number;
  tail: Path2D;
}

let serials = 0;

/** Saves the context and clips to the plot area (2 px of slack so lines at the edges keep their width). */
function clipToArea(ctx: CanvasRenderingContext2D, a: Chart["chartArea"]): void {
  ctx.save();
  ctx.beginPath();
  ctx.rect(a.left, a.top - 2, a.right - a.left, a.bottom - a.top + 4);
  ctx.clip();
}

/** The axes every time plot uses: seconds since the start against bytes. */
export function timeBytesScales(): NonNullable<ChartOptions<"line">["scales"]> {
  return {
    x: { type: "linear", min: 0, ticks: { callback: (v) => formatSeconds(Number(v)), maxTicksLimit: 12 }, title: { display: true, text: "time since start" } },
    y: { type: "linear", beginAtZero: true, ticks: { callback: (v) => formatBytes(Number(v)) } },
  };
}

function missing(v: number | null | undefined): boolean {
  return v === null || v === undefined || v !== v;
}

/** Value → pixel of a linear scale, as px = a + k·v. */
function affine(scale: Scale): [number, number] {
  const p0 = scale.getPixelForValue(scale.min);
  const k = scale.max > scale.min ? (scale.getPixelForValue(scale.max) - p0) / (scale.max - scale.min) : 0;
  return [p0 - k * scale.min, k];
}

function chartAffine(chart: Chart): Affine | null {
  const { x: xs, y: ys } = chart.scales;
  if (!xs || !ys) return null;
  const x = affine(xs);
  const y = affine(ys);
  const dpr = chart.currentDevicePixelRatio || 1;
  return { x, y, dpr, key: `${x}|${y}|${dpr}` };
}

/** First index with t[i] ≥ x. */
function lowerBound(t: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] as number) < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * Adds points from … to of the line (in pixels) to `path`: continuing its current point, or
 * starting at the last value at or before `from`.
 */
function trace(path: Path2D, l: PlotLine, { x: [ax, kx], y: [ay, ky] }: Affine, from: number, to: number, continuing: boolean): void {
  const { t, y } = l;
  let i = from;
  if (continuing) i++;
  else while (i > 0 && missing(y[i])) i--;
  let moved = continuing;
  for (; i <= to; i++) {
    const v = y[i];
    if (v === null || v === undefined || v !== v) continue;
    const x = ax + kx * (t[i] as number);
    if (moved) path.lineTo(x, ay + ky * v); else { path.moveTo(x, ay + ky * v); moved = true; }
  }
}

/** The line's head (reused from `prev` while the axes and its points are unchanged) and tail. */
function linePaths(l: PlotLine, prev: LinePaths | undefined, px: Affine): LinePaths {
  const { t, y } = l;
  const n = t.length;
  let same = 0;
  if (prev && prev.key === px.key) {
    const m = Math.min(n, prev.t.length);
    if (prev.t === t && prev.y === y) same = m;
    else while (same < m && prev.t[same] === t[same] && prev.y[same] === y[same]) same++;
  }
  let head: Path2D;
  let headEnd = 0;
  let headSerial: number;
  if (prev && prev.key === px.key && prev.headEnd > 0 && prev.headEnd < same) {
    ({ head, headEnd, headSerial } = prev);
  } else {
    head = new Path2D();
    headSerial = ++serials;
  }
  // A dash pattern restarts with every subpath: dashed lines are all tail.
  const end = l.dash?.length ? 0 : Math.floor(Math.max(0, n - 1 - TAIL) / CHUNK) * CHUNK;
  if (end > headEnd) {
    trace(head, l, px, headEnd, end, headEnd > 0);
    headEnd = end;
    headSerial = ++serials;
  }
  const tail = new Path2D();
  trace(tail, l, px, headEnd, n - 1, false);
  return { t, y, key: px.key, head, headEnd, headSerial, tail };
}

/**
 * The area between the line and its base (or zero), points from … to, as one rectangle per
 * device-pixel column in [colFrom, colTo).
 */
function fillColumns(ctx: CanvasRenderingContext2D, l: PlotLine, { x: [ax, kx], y: [ay, ky], dpr }: Affine, from: number, to: number, colFrom: number, colTo: number): void {
  const { t, y, base } = l;
  const w = 1 / dpr;
  const rect = (c: number, top: number, bottom: number) => { if (c >= colFrom && c < colTo) ctx.fillRect(c * w, top, w, bottom - top); };
  let col = NaN;
  let top = 0;
  let bottom = 0;
  let prevX = NaN;
  let prevTop = 0;
  let prevBottom = 0;
  for (let i = from; i <= to; i++) {
    const v = y[i];
    const b = base ? base[i] : 0;
    if (v === null || v === undefined || v !== v || b === null || b === undefined || b !== b) continue;
    const x = ax + kx * (t[i] as number);
    const pt = ay + ky * v;
    const pb = ay + ky * b;
    const c = Math.floor(x * dpr);
    if (c === col) {
      if (pt < top) top = pt;
      if (pb > bottom) bottom = pb;
    } else {
      if (col === col) {
        rect(col, top, bottom);
        // Columns between two points: the straight line between them, at the column's centre.
        for (let k = Math.max(col + 1, colFrom); k < c && k < colTo; k++) {
          const f = ((k + 0.5) * w - prevX) / (x - prevX);
          rect(k, prevTop + f * (pt - prevTop), prevBottom + f * (pb - prevBottom));
        }
      }
      col = c;
      top = pt;
      bottom = pb;
    }
    prevX = x;
    prevTop = pt;
    prevBottom = pb;
  }
  if (col === col) rect(col, top, bottom);
}

/** Device-pixel column of point i. */
function columnOf(l: PlotLine, { x: [ax, kx], dpr }: Affine, i: number): number {
  return Math.floor((ax + kx * (l.t[i] as number)) * dpr);
}

export class LinePlot {
  readonly chart: Chart<"line">;
  private lines: PlotLine[] = [];
  private paths = new Map<string, LinePaths>();
  /** The lines and layout `paths` were computed for. */
  private pathsFor: { lines: PlotLine[]; key: string } | null = null;
  /** What the last Chart.js layout was computed for (null: lay out on the next update). */
  private laidOut: string | null = null;
  /** The heads (and styles) the Chart.js canvas shows. */
  private drawnHeads = "";
  private readonly overlay = h("canvas", { class: "wm-overlay", "aria-hidden": "true" });
  private readonly tip = h("div", { class: "wm-tip", hidden: true, "aria-hidden": "true" });
  private readonly dot = h("div", { class: "wm-tip-dot", hidden: true, "aria-hidden": "true" });
  private pointer: { x: number; y: number } | null = null;
  private hoverFrame = 0;
  private shown = "";

  constructor(canvas: HTMLCanvasElement, options: ChartOptions<"line">) {
    const plugin: Plugin<"line"> = { id: "wmLines", afterDatasetsDraw: (chart) => this.drawAll(chart) };
    this.chart = makeChart<"line", never[]>(canvas, {
      type: "line",
      data: { datasets: [] },
      // Only clicks reach Chart.js (the legend): hovering needs no chart redraw.
      options: { ...options, events: ["click"], plugins: { ...options.plugins, tooltip: { enabled: false } } },
      plugins: [plugin],
    });
    canvas.parentElement?.append(this.overlay, this.dot, this.tip);
    canvas.addEventListener("mousemove", (e) => {
      this.pointer = { x: e.offsetX, y: e.offsetY };
      if (!this.hoverFrame) this.hoverFrame = requestAnimationFrame(() => { this.hoverFrame = 0; this.updateHover(); });
    });
    canvas.addEventListener("mouseleave", () => { this.pointer = null; this.updateHover(); });
  }

  /** The chart's options changed (legend, titles, theme): lay it out again on the next update. */
  invalidate(): void {
    this.laidOut = null;
  }

  /**
   * Replaces the lines (the first is drawn on top, like Chart.js datasets) and redraws with the x
   * axis up to `xMax`; the y axis starts at zero and ends at a round number above every value.
   * `frame` names everything else the frame shows (legend entries, titles): when it, `xMax` and
   * the largest value are unchanged, Chart.js neither lays out nor redraws the frame.
   */
  setLines(lines: PlotLine[], xMax: number, frame = ""): void {
    this.lines = lines;
    let yMax = -Infinity;
    for (const l of lines) {
      const y = l.y;
      for (let i = 0; i < y.length; i++) { const v = y[i]; if (v !== null && v !== undefined && v > yMax) yMax = v; }
    }
    const layout = `${xMax}|${yMax}|${frame}`;
    const px = layout === this.laidOut ? chartAffine(this.chart) : null;
    if (!px) {
      const s = this.chart.options.scales ?? {};
      if (s.x) s.x.max = xMax > 0 ? xMax : undefined;
      // suggestedMax, not max: Chart.js still rounds the top tick.
      if (s.y) (s.y as { suggestedMax?: number }).suggestedMax = Number.isFinite(yMax) ? yMax : undefined;
      this.chart.update("none");
      this.laidOut = layout;
    } else if (this.computePaths(px) !== this.drawnHeads) {
      this.chart.draw();
    } else {
      this.drawTails(px);
    }
    if (this.pointer) this.updateHover();
  }

  /** Brings the cached paths up to date; returns what the heads look like (ids, styles, serials). */
  private computePaths(px: Affine): string {
    if (this.pathsFor?.lines !== this.lines || this.pathsFor.key !== px.key) {
      const paths = new Map<string, LinePaths>();
      for (const l of this.lines) paths.set(l.id, linePaths(l, this.paths.get(l.id), px));
      this.paths = paths;
      this.pathsFor = { lines: this.lines, key: px.key };
    }
    return this.lines.map((l) => `${l.id} ${this.paths.get(l.id)?.headSerial} ${l.color} ${l.width} ${l.fill ?? ""} ${l.dash ?? ""}`).join("\n");
  }

  /** Chart.js redrew its canvas: the heads on it, the tails over it. */
  private drawAll(chart: Chart): void {
    const px = chartAffine(chart);
    if (!px) return;
    this.drawnHeads = this.computePaths(px);
    const ctx = chart.ctx;
    const a = chart.chartArea;
    clipToArea(ctx, a);
    for (let k = this.lines.length - 1; k >= 0; k--) {
      const l = this.lines[k] as PlotLine;
      const p = this.paths.get(l.id);
      if (!p || p.headEnd === 0) continue;
      if (l.fill) {
        ctx.fillStyle = l.fill;
        fillColumns(ctx, l, px, 0, p.headEnd, -Infinity, columnOf(l, px, p.headEnd));
      }
      this.stroke(ctx, l, p.head);
    }
    ctx.restore();
    this.drawTails(px);
  }

  private drawTails(px: Affine): void {
    const { canvas, chartArea: a, width, height } = this.chart;
    const o = this.overlay;
    if (o.width !== canvas.width || o.height !== canvas.height) {
      o.width = canvas.width;
      o.height = canvas.height;
      o.style.width = `${width}px`;
      o.style.height = `${height}px`;
    }
    const ctx = o.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, o.width, o.height);
    ctx.setTransform(px.dpr, 0, 0, px.dpr, 0, 0);
    clipToArea(ctx, a);
    for (let k = this.lines.length - 1; k >= 0; k--) {
      const l = this.lines[k] as PlotLine;
      const p = this.paths.get(l.id);
      if (!p) continue;
      if (l.fill) {
        // From the head's last column on; the point before it only to interpolate.
        const split = p.headEnd > 0 ? columnOf(l, px, p.headEnd) : -Infinity;
        let from = p.headEnd;
        while (from > 0 && columnOf(l, px, from - 1) >= split) from--;
        ctx.fillStyle = l.fill;
        fillColumns(ctx, l, px, Math.max(0, from - 1), l.t.length - 1, split, Infinity);
      }
      this.stroke(ctx, l, p.tail);
    }
    ctx.restore();
  }

  private stroke(ctx: CanvasRenderingContext2D, l: PlotLine, path: Path2D): void {
    ctx.setLineDash(l.dash ?? []);
    ctx.lineWidth = l.width;
    ctx.strokeStyle = l.color;
    ctx.stroke(path);
  }

  /**
   * The point nearest to the pointer (CSS pixels of the canvas), then the other lines of its
   * group at the same index; none outside the plot area.
   */
  private hits(px: number, py: number): { nearest: Hit; rows: Hit[] } | null {
    const { chartArea: a, scales } = this.chart;
    if (!scales.x || !scales.y || px < a.left || px > a.right || py < a.top || py > a.bottom) return null;
    const [ax, kx] = affine(scales.x);
    const [ay, ky] = affine(scales.y);
    if (kx === 0) return null;
    const x = (px - ax) / kx;
    let hit: Hit | null = null;
    let bestD = Infinity;
    for (let line = 0; line < this.lines.length; line++) {
      const { t, y } = this.lines[line] as PlotLine;
      const start = lowerBound(t, x);
      // Walk outwards while the x distance alone could still beat the best point.
      for (const dir of [1, -1]) {
        for (let i = dir > 0 ? start : start - 1; i >= 0 && i < t.length; i += dir) {
          const dx = (ax + kx * (t[i] as number)) - px;
          if (dx * dx >= bestD) break;
          const v = y[i];
          if (v === null || v === undefined || v !== v) continue;
          const dy = ay + ky * v - py;
          const d = dx * dx + dy * dy;
          if (d < bestD) { bestD = d; hit = { line, i }; }
        }
      }
    }
    if (!hit) return null;
    const group = this.lines[hit.line]?.group;
    if (group === undefined) return { nearest: hit, rows: [hit] };
    const rows: Hit[] = [];
    this.lines.forEach((l, line) => { if (l.group === group && !missing(l.y[hit.i])) rows.push({ line, i: hit.i }); });
    return { nearest: hit, rows };
  }

  private updateHover(): void {
    const hits = this.pointer ? this.hits(this.pointer.x, this.pointer.y) : null;
    const first = hits?.nearest;
    const firstLine = first ? this.lines[first.line] : undefined;
    if (!hits || !first || !firstLine) {
      this.tip.hidden = true;
      this.dot.hidden = true;
      this.shown = "";
      return;
    }
    const { scales, chartArea: a } = this.chart;
    const [ax, kx] = affine(scales.x as Scale);
    const [ay, ky] = affine(scales.y as Scale);
    const tx = firstLine.t[first.i] as number;
    const px = ax + kx * tx;
    const py = ay + ky * (firstLine.y[first.i] as number);
    const rows = hits.rows.map(({ line, i }) => ({ l: this.lines[line] as PlotLine, text: (this.lines[line] as PlotLine).tip(i) }));
    const key = `${formatSeconds(tx)}\n${rows.map((r) => r.text).join("\n")}`;
    if (key !== this.shown) {
      this.shown = key;
      replaceChildren(this.tip, h("div", { class: "wm-tip-title" }, formatSeconds(tx)), ...rows.map(({ l, text }) => {
        const swatch = h("span", { class: "wm-tip-swatch" });
        swatch.style.backgroundColor = l.fill ?? l.color;
        swatch.style.borderColor = l.color;
        return h("div", null, swatch, text);
      }));
    }
    // Left of / above the point in the right / lower half, so the tip never needs measuring.
    const right = px > (a.left + a.right) / 2;
    const below = py < (a.top + a.bottom) / 2;
    this.tip.style.left = `${px}px`;
    this.tip.style.top = `${py}px`;
    this.tip.style.transform = `translate(${right ? "calc(-100% - 10px)" : "10px"}, ${below ? "10px" : "calc(-100% - 10px)"})`;
    this.dot.style.left = `${px}px`;
    this.dot.style.top = `${py}px`;
    this.dot.style.borderColor = firstLine.color;
    this.dot.hidden = false;
    this.tip.hidden = false;
  }

  destroy(): void {
    if (this.hoverFrame) cancelAnimationFrame(this.hoverFrame);
    this.chart.destroy();
    this.overlay.remove();
    this.tip.remove();
    this.dot.remove();
  }
}
