/**
 * Human-readable numbers: the one implementation behind the CLI summary, findings, editor hints,
 * the webview and the report, so the same figure reads the same everywhere. Binary units (MiB).
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number | null | undefined, digits = 1): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  const sign = bytes < 0 ? "-" : "";
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) { v /= 1024; u++; }
  return `${sign}${u === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : digits)} ${UNITS[u]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m} m ${String(rest).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m - h * 60).padStart(2, "0")} m`;
}

/**
 * "1,234,567". Not Intl.NumberFormat: creating one loads ICU's locale data, which took 5 ms of
 * the CLI's start-up (a tenth of node's own) for a job a regular expression does.
 */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  const r = Math.round(n);
  if (Math.abs(r) >= 1e21) return r.toLocaleString("en-US", { maximumFractionDigits: 0 }); // String() would say 1e+21
  return String(r).replace(/\B(?=(\d{3})+$)/g, ",");
}

/** "file.py:12" relative to a base folder when inside it. */
export function formatSite(site: { file: string; line: number } | null, base?: string): string {
  if (!site) return "(no user frame)";
  let f = site.file;
  if (base && f.startsWith(base.endsWith("/") ? base : base + "/")) f = f.slice(base.length + (base.endsWith("/") ? 0 : 1));
  return `${f}:${site.line}`;
}
