/** Processes, shared-memory blocks and findings. */
import type { FindingRow, ProcessRow, SharedMemoryRow } from "../../protocol/webview";
import { formatBytes, formatCount, formatDuration, formatExitCode, formatMiB } from "../../core/view/format";
import { h, replaceChildren } from "../dom";
import { SortableTable, type SortState } from "../table";
import { cowCopiedBytes } from "../../core/memory/cow";
import { section, siteLink, type Ctx } from "./common";

export class ProcessesSection {
  readonly element: HTMLElement;
  private readonly table: SortableTable<ProcessRow>;

  constructor(sort: SortState | null, onSort: (s: SortState) => void) {
    const mib = (get: (r: ProcessRow) => number | null) => (r: ProcessRow) => formatMiB(get(r));
    this.table = new SortableTable<ProcessRow>({
      id: "wm-processes-table",
      caption: "Processes: role, start method, lifetime, exit code and peak memory (MiB)",
      rowKey: (r) => r.key,
      sort: sort ?? { col: "started", dir: "asc" },
      onSort,
      empty: "No processes yet.",
      columns: [
        { id: "process", label: "Process", sort: (r) => r.pid, cell: (r) => h("span", { title: `ppid ${r.ppid}${r.instrumented ? "" : " · not instrumented (seen by the sampler only)"}` },
          h("strong", null, r.role), ` ${r.pid}${r.tid !== null ? `/t${r.tid}` : ""}`, r.name ? h("span", { class: "wm-muted" }, ` ${r.name}`) : null) },
        { id: "start", label: "Start method", sort: (r) => r.startMethod ?? null, cell: (r) => r.startMethod ?? "–" },
        { id: "started", label: "Started", numeric: true, sort: (r) => r.startedAt, cell: (r) => formatDuration(r.startedAt) },
        { id: "lifetime", label: "Lifetime", numeric: true, sort: (r) => r.lifetimeMs, cell: (r) => formatDuration(r.lifetimeMs) + (r.endedAt === null ? " …" : "") },
        { id: "exit", label: "Exit", numeric: true, sort: (r) => r.exitCode, cell: (r) => h("span", { class: r.exitCode !== null && r.exitCode !== 0 ? "wm-bad" : null }, formatExitCode(r.exitCode)) },
        { id: "rss", label: "Peak RSS", numeric: true, title: "MiB", sort: (r) => r.peakRss, cell: mib((r) => r.peakRss) },
        { id: "pss", label: "Peak PSS", numeric: true, title: "MiB", sort: (r) => r.peakPss, cell: mib((r) => r.peakPss) },
        { id: "uss", label: "Peak USS", numeric: true, title: "MiB", sort: (r) => r.peakUss, cell: mib((r) => r.peakUss) },
        { id: "cow", label: "COW-broken", numeric: true, title: "MiB of inherited pages a fork child copied (copy-on-write broken); its own allocations are not counted", sort: cowCopiedBytes, cell: mib(cowCopiedBytes) },
        { id: "sent", label: "Sent", numeric: true, title: "Bytes serialized and sent", sort: (r) => r.bytesSent, cell: (r) => formatBytes(r.bytesSent) },
        { id: "received", label: "Received", numeric: true, title: "Bytes received and deserialized", sort: (r) => r.bytesReceived, cell: (r) => formatBytes(r.bytesReceived) },
      ],
    });
    this.element = section("processes", "Processes", h("p", { class: "wm-note" }, "Peak and COW-broken memory in MiB. Click a column header to sort."),
      h("div", { class: "wm-table-wrap" }, this.table.element));
  }

  update(rows: ProcessRow[]): void {
    this.table.setRows(rows);
  }
}

export class SharedMemorySection {
  readonly element: HTMLElement;
  private readonly table: SortableTable<SharedMemoryRow>;

  constructor(ctx: Ctx, sort: SortState | null, onSort: (s: SortState) => void) {
    this.table = new SortableTable<SharedMemoryRow>({
      id: "wm-shm-table",
      caption: "Shared memory blocks",
      rowKey: (r) => r.key,
      sort: sort ?? { col: "bytes", dir: "desc" },
      onSort,
      empty: "No shared memory blocks.",
      columns: [
        { id: "kind", label: "Kind", sort: (r) => r.kind, cell: (r) => r.kind },
        { id: "name", label: "Name", sort: (r) => r.name, cell: (r) => h("code", null, r.name) },
        { id: "bytes", label: "Size", numeric: true, sort: (r) => r.bytes, cell: (r) => formatBytes(r.bytes) },
        { id: "pid", label: "Creator", numeric: true, sort: (r) => r.pid, cell: (r) => String(r.pid) },
        { id: "attached", label: "Attached by", numeric: true, sort: (r) => r.attachedPids.length, cell: (r) => r.attachedPids.length === 0 ? "–" : h("span", { title: r.attachedPids.join(", ") }, `${formatCount(r.attachedPids.length)} process${r.attachedPids.length === 1 ? "" : "es"}`) },
        { id: "unlinked", label: "Unlinked", sort: (r) => (r.unlinked ? 1 : 0), cell: (r) => (r.unlinked ? "yes" : h("span", { class: "wm-bad" }, "no")) },
        { id: "site", label: "Created at", sort: (r) => (r.site ? `${r.site.file}:${r.site.line}` : null), cell: (r) => siteLink(ctx, r.site) },
      ],
    });
    this.element = section("shared-memory", "Shared memory", h("div", { class: "wm-table-wrap" }, this.table.element));
  }

  update(rows: SharedMemoryRow[]): void {
    this.table.setRows(rows);
  }
}

export class FindingsSection {
  readonly element: HTMLElement;
  private readonly list = h("ul", { class: "wm-findings", id: "wm-findings" });

  constructor(private readonly ctx: Ctx) {
    this.element = section("findings", "Findings", this.list);
  }

  update(rows: FindingRow[]): void {
    const heading = this.element.querySelector("h2");
    if (heading) heading.textContent = rows.length > 0 ? `Findings (${rows.length})` : "Findings";
    if (rows.length === 0) {
      replaceChildren(this.list, h("li", { class: "wm-empty" }, "No findings."));
      return;
    }
    replaceChildren(this.list, ...rows.map((f) => h("li", { class: `wm-finding sev-${f.severity}`, "data-key": f.key },
      h("div", { class: "wm-finding-head" },
        h("span", { class: `wm-sev sev-${f.severity}` }, f.severity), " ",
        h("code", { class: "wm-rule" }, f.rule), " ",
        f.site ? siteLink(this.ctx, f.site) : null,
        f.site?.function ? h("span", { class: "wm-muted" }, ` in ${f.site.function}`) : null),
      h("p", { class: "wm-message" }, f.message),
      f.fix ? h("p", { class: "wm-fix" }, h("strong", null, "Fix: "), f.fix) : null)));
  }
}
