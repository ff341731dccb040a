/**
 * Chart colours from the theme: media/webview.css maps --wm-* to --vscode-charts-* (with
 * fallbacks for the standalone report), and this module resolves them to rgb() for the canvas.
 */

export interface Theme {
  palette: string[];
  foreground: string;
  grid: string;
  font: string;
  sum: string;
}

const PALETTE_VARS = ["--wm-chart-1", "--wm-chart-2", "--wm-chart-3", "--wm-chart-4", "--wm-chart-5", "--wm-chart-6"];

let probe: HTMLSpanElement | null = null;

/** Resolves any CSS colour (named, #hex, var-substituted, color-mix…) to "rgb(r, g, b)" or "rgba(…)". */
function resolveColor(value: string, fallback: string): string {
  if (!probe) {
    probe = document.createElement("span");
    probe.hidden = true;
    document.body.appendChild(probe);
  }
  probe.style.color = "";
  probe.style.color = value.trim() || fallback;
  const c = getComputedStyle(probe).color;
  return c || fallback;
}

export function readTheme(): Theme {
  const cs = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => resolveColor(cs.getPropertyValue(name), fallback);
  return {
    palette: PALETTE_VARS.map((name, i) => v(name, ["#3794ff", "#d18616", "#89d185", "#b180d7", "#f14c4c", "#cca700"][i] as string)),
    foreground: v("--wm-chart-fg", "#888"),
    grid: v("--wm-chart-grid", "rgba(128,128,128,0.25)"),
    sum: v("--wm-fg", "#888"),
    font: getComputedStyle(document.body).fontFamily || "sans-serif",
  };
}

/** "rgb(1, 2, 3)" + alpha → "rgba(1, 2, 3, a)". */
export function withAlpha(color: string, alpha: number): string {
  const m = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/.exec(color);
  if (!m) return color;
  return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})`;
}

/** Colour i of a palette; beyond its length, the same hues at lower alpha. */
export function paletteColor(theme: Theme, i: number): string {
  const n = theme.palette.length;
  const base = theme.palette[i % n] as string;
  const round = Math.floor(i / n);
  return round === 0 ? base : withAlpha(base, Math.max(0.35, 1 - round * 0.15));
}

/** Calls `fn` when VS Code switches theme (it changes the body class) or the OS scheme changes. */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(fn).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", fn);
}
