/**
 * Chart.js 4, tree-shaken to what the panel draws; no animations (updates arrive at ≤ 4 Hz). Line
 * charts draw their lines and areas themselves (linePlot.ts), so no Filler plugin.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip, type ChartConfiguration, type ChartOptions,
} from "chart.js";
import type { Theme } from "./theme";

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Legend, Tooltip);

export { Chart };

export function applyThemeDefaults(theme: Theme): void {
  Chart.defaults.color = theme.foreground;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = theme.font;
  Chart.defaults.font.size = 11;
  Chart.defaults.animation = false;
}

/** Common options: responsive in a fixed-height box, no animation, nothing parsed twice. */
export function baseOptions<T extends "line" | "bar">(): ChartOptions<T> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    normalized: true,
    plugins: { legend: { labels: { boxWidth: 10, boxHeight: 10 } } },
  } as ChartOptions<T>;
}

export function makeChart<T extends "line" | "bar", D = unknown[], L = unknown>(canvas: HTMLCanvasElement, config: ChartConfiguration<T, D, L>): Chart<T, D, L> {
  return new Chart(canvas, config);
}
