/** Human-readable numbers, shared by the CLI summary, editor hints and reports. */

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Decimal-free for bytes, one decimal above; binary units (1 MB = 1024² B) as most memory tools use. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v.toFixed(1);
  return `${n < 0 ? "-" : ""}${s} ${UNITS[i]}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, "0")}s`;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** "file.py:12" relative to a base folder when inside it. */
export function formatSite(site: { file: string; line: number } | null, base?: string): string {
  if (!site) return "(no user frame)";
  let f = site.file;
  if (base && f.startsWith(base.endsWith("/") ? base : base + "/")) f = f.slice(base.length + (base.endsWith("/") ? 0 : 1));
  return `${f}:${site.line}`;
}
