/** The status bar's clock. Byte and count formatting come from the core (src/core/format.ts). */

/** Elapsed time as m:ss (h:mm:ss past an hour), the way a running clock reads. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
