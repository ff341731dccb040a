/**
 * A sortable table: header buttons (keyboard reachable), aria-sort, and rows kept per key across
 * live updates: only changed cells are touched, so a 4 Hz update of 64 rows stays cheap and
 * keyboard focus survives.
 */
import { deepEqual } from "../core/view/delta";
import { h, replaceChildren } from "./dom";

export type SortDir = "asc" | "desc";
export interface SortState { col: string; dir: SortDir }

export interface Column<R> {
  id: string;
  label: string;
  /** Tooltip / longer description of the column. */
  title?: string;
  numeric?: boolean;
  /** Sort key; omit to make the column unsortable. */
  sort?: (row: R) => number | string | null;
  cell: (row: R) => Node | string;
}

export interface TableOptions<R> {
  id: string;
  caption: string;
  columns: Column<R>[];
  rowKey: (row: R) => string;
  sort: SortState | null;
  onSort?: (s: SortState) => void;
  empty?: string;
}

export class SortableTable<R> {
  readonly element: HTMLTableElement;
  private readonly head: HTMLTableSectionElement;
  private readonly body: HTMLTableSectionElement;
  private rows: R[] = [];
  private sort: SortState | null;
  /** Rows on screen by key, with the row they show and each cell's content (compared in JS, not read back from the DOM). */
  private readonly rendered = new Map<string, { tr: HTMLTableRowElement; cells: HTMLTableCellElement[]; shown: (Node | string)[]; row: R }>();

  constructor(private readonly opts: TableOptions<R>) {
    this.sort = opts.sort;
    this.head = h("thead");
    this.body = h("tbody");
    this.element = h("table", { class: "wm-table", id: opts.id }, h("caption", { class: "wm-sr" }, opts.caption), this.head, this.body);
    this.renderHead();
  }

  setRows(rows: R[]): void {
    this.rows = rows;
    this.renderBody();
  }

  private renderHead(): void {
    const cells = this.opts.columns.map((c) => {
      const sorted = this.sort?.col === c.id ? this.sort.dir : null;
      const attrs = {
        scope: "col",
        class: c.numeric ? "num" : null,
        "aria-sort": c.sort ? (sorted === "asc" ? "ascending" : sorted === "desc" ? "descending" : "none") : null,
        title: c.title ?? null,
      };
      if (!c.sort) return h("th", attrs, c.label);
      const arrow = sorted === "asc" ? "▲" : sorted === "desc" ? "▼" : "";
      return h("th", attrs, h("button", {
        type: "button", class: "wm-sort", "data-col": c.id,
        on: { click: () => this.toggle(c) },
      }, c.label, h("span", { class: "wm-arrow", "aria-hidden": "true" }, arrow)));
    });
    replaceChildren(this.head, h("tr", null, ...cells));
  }

  private toggle(c: Column<R>): void {
    const dir: SortDir = this.sort?.col === c.id ? (this.sort.dir === "asc" ? "desc" : "asc") : c.numeric ? "desc" : "asc";
    this.sort = { col: c.id, dir };
    this.renderHead();
    this.renderBody();
    this.opts.onSort?.(this.sort);
    // Keep keyboard focus on the header the user activated (the header was rebuilt).
    (this.head.querySelector(`button[data-col="${CSS.escape(c.id)}"]`) as HTMLButtonElement | null)?.focus();
  }

  private sorted(): R[] {
    const s = this.sort;
    const col = s ? this.opts.columns.find((c) => c.id === s.col) : undefined;
    if (!s || !col?.sort) return this.rows;
    const key = col.sort;
    const sign = s.dir === "asc" ? 1 : -1;
    return this.rows
      .map((r, i) => ({ r, i, k: key(r) }))
      .sort((a, b) => {
        // Nulls last whatever the direction.
        if (a.k === null && b.k === null) return a.i - b.i;
        if (a.k === null) return 1;
        if (b.k === null) return -1;
        const c = typeof a.k === "number" && typeof b.k === "number" ? a.k - b.k : String(a.k).localeCompare(String(b.k));
        return c !== 0 ? sign * c : a.i - b.i;
      })
      .map((x) => x.r);
  }

  private renderBody(): void {
    // Reordered rows are re-inserted: put keyboard focus back on the same control of the same row.
    const active = document.activeElement;
    let focusKey: string | null = null;
    let focusIndex = -1;
    if (active instanceof HTMLElement && this.body.contains(active)) {
      const tr = active.closest("tr");
      focusKey = tr?.getAttribute("data-key") ?? null;
      if (tr) focusIndex = Array.from(tr.querySelectorAll("button, input, a")).indexOf(active);
    }
    this.fill();
    if (focusKey !== null && focusIndex >= 0 && !this.body.contains(document.activeElement)) {
      const tr = this.rendered.get(focusKey)?.tr;
      (tr?.querySelectorAll("button, input, a")[focusIndex] as HTMLElement | undefined)?.focus();
    }
  }

  private fill(): void {
    const rows = this.sorted();
    if (rows.length === 0) {
      this.rendered.clear();
      replaceChildren(this.body, h("tr", null, h("td", { colspan: this.opts.columns.length, class: "wm-empty" }, this.opts.empty ?? "None.")));
      return;
    }
    const trs: HTMLTableRowElement[] = [];
    const keep = new Set<string>();
    for (const row of rows) {
      const key = this.opts.rowKey(row);
      keep.add(key);
      let r = this.rendered.get(key);
      if (!r) {
        const shown = this.opts.columns.map((c) => c.cell(row));
        const cells = this.opts.columns.map((c, i) => h("td", { class: c.numeric ? "num" : null }, shown[i]));
        r = { tr: h("tr", { "data-key": key }, ...cells), cells, shown, row };
        this.rendered.set(key, r);
      } else if (!deepEqual(r.row, row)) {
        const { cells, shown } = r;
        this.opts.columns.forEach((c, i) => { shown[i] = setCell(cells[i] as HTMLTableCellElement, shown[i] as Node | string, c.cell(row)); });
        r.row = row;
      }
      trs.push(r.tr);
    }
    for (const k of [...this.rendered.keys()]) if (!keep.has(k)) this.rendered.delete(k);
    const current = this.body.children;
    if (current.length !== trs.length || trs.some((tr, i) => current[i] !== tr)) this.body.replaceChildren(...trs);
  }
}

/** Shows `content` in a cell that shows `shown`, leaving it alone when equal; returns what it shows. */
function setCell(td: HTMLTableCellElement, shown: Node | string, content: Node | string): Node | string {
  if (typeof content === "string" ? shown === content : typeof shown !== "string" && shown.isEqualNode(content)) return shown;
  if (typeof content === "string" && typeof shown === "string" && td.firstChild instanceof Text) td.firstChild.data = content;
  else td.replaceChildren(content);
  return content;
}
