/** A sortable table: header buttons (keyboard reachable), aria-sort, rows rebuilt with textContent. */
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
    // Live updates rebuild the rows: put keyboard focus back on the same control of the same row.
    const active = document.activeElement;
    let focusKey: string | null = null;
    let focusIndex = -1;
    if (active instanceof HTMLElement && this.body.contains(active)) {
      const tr = active.closest("tr");
      focusKey = tr?.getAttribute("data-key") ?? null;
      if (tr) focusIndex = Array.from(tr.querySelectorAll("button, input, a")).indexOf(active);
    }
    this.fill();
    if (focusKey !== null && focusIndex >= 0) {
      const tr = Array.from(this.body.rows).find((r) => r.getAttribute("data-key") === focusKey);
      (tr?.querySelectorAll("button, input, a")[focusIndex] as HTMLElement | undefined)?.focus();
    }
  }

  private fill(): void {
    const rows = this.sorted();
    if (rows.length === 0) {
      replaceChildren(this.body, h("tr", null, h("td", { colspan: this.opts.columns.length, class: "wm-empty" }, this.opts.empty ?? "None.")));
      return;
    }
    replaceChildren(this.body, ...rows.map((r) => h("tr", { "data-key": this.opts.rowKey(r) },
      ...this.opts.columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.cell(r))))));
  }
}
