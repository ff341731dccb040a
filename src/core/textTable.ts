/** Plain-text tables for terminals: right-aligned numbers, left-aligned text, no colours. */
export interface Column {
  title: string;
  align?: "left" | "right";
}

export function renderTable(columns: Column[], rows: string[][], indent = "  "): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? "").length)));
  const fmt = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => (columns[i]?.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(columns.map((c) => c.title)), ...rows.map(fmt)].join("\n");
}
