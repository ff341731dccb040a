/** Figures for charts and tables; the shared formatters live in core/format.ts. */
export { formatBytes, formatCount, formatDuration } from "../format";

/** Bytes as MiB with one decimal, for table columns that state the unit in the header. */
export function formatMiB(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  return (bytes / 1048576).toFixed(1);
}

/** Axis ticks: seconds since start. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s >= 100 ? `${s.toFixed(0)} s` : s >= 10 ? `${s.toFixed(1).replace(/\.0$/, "")} s` : `${+s.toFixed(2)} s`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

export function formatExitCode(code: number | null | undefined): string {
  if (code === null || code === undefined) return "–";
  return code < 0 ? `signal ${-code}` : String(code);
}

export function siteText(site: { file: string; line: number; function?: string } | null): string {
  if (!site) return "(unknown site)";
  return `${site.file}:${site.line}`;
}

/** "dir/sub/file.py" → "file.py" (for compact chart labels; tables show the full path). */
export function shortFile(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}
