/** Where the panel's time axis ends. Pure: shared by the webview and its tests. */
import type { ProfileView } from "../../protocol/webview";

/**
 * End of the time axis the charts share: the wall time, the last sample or the end of the last
 * copy bucket, whichever is latest. While the run is live it is rounded up to a round step of
 * about 1 % of the run (so at most ~2.5 % ahead of the data): the axes then move every few seconds
 * instead of at every delta, and the charts skip Chart.js's layout in between (webview/linePlot.ts).
 */
export function timeAxisEnd(view: ProfileView): number {
  let x = view.totals.wallMs;
  for (const s of view.memory.series) x = Math.max(x, s.t[s.t.length - 1] ?? 0);
  const tl = view.copies.timeline;
  if (tl.t.length > 0) x = Math.max(x, (tl.t[tl.t.length - 1] as number) + tl.bucketMs);
  if (!view.meta.live || !(x > 0)) return x;
  const magnitude = 10 ** Math.floor(Math.log10(x / 100));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= x / 100) as number;
  return Math.ceil(x / step) * step;
}
