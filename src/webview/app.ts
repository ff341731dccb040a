/**
 * The browser app: holds the current view, applies snapshots and deltas, and renders the sections.
 * Identical in the VS Code panel and in the HTML report; only the Host differs.
 */
import {
  WEBVIEW_PROTOCOL_VERSION, isHostToWebviewMessage, type AnyView, type HostToWebviewMessage, type ProfileView, type SiteRef,
} from "../protocol/webview";
import { timeAxisEnd } from "../core/view/axis";
import { applyProfileViewDelta, deltaSections } from "../core/view/delta";
import { applyThemeDefaults } from "./charts";
import { h, replaceChildren, text } from "./dom";
import type { Host, MemoryMode, PersistedState, UiState } from "./host";
import { readTheme, onThemeChange, type Theme } from "./theme";
import type { SortState } from "./table";
import type { Ctx } from "./views/common";
import { ComparisonSection } from "./views/comparison";
import { CopiesSection } from "./views/copies";
import { HeaderView } from "./views/header";
import { MemorySection } from "./views/memory";
import { FindingsSection, ProcessesSection, SharedMemorySection } from "./views/tables";

const ALL_SECTIONS = new Set(["meta", "totals", "memory", "timeline", "sites", "byChannel", "processes", "sharedMemory", "findings"]);
/** Views with more plotted values than this are not kept in webview state (VS Code serializes it on every setState). */
const MAX_PERSISTED_VALUES = 400_000;

interface ProfileUi {
  header: HeaderView;
  memory: MemorySection;
  copies: CopiesSection;
  processes: ProcessesSection;
  shm: SharedMemorySection;
  findings: FindingsSection;
}

function countValues(view: AnyView): number {
  if (view.kind !== "profile") return 0;
  let n = 0;
  for (const s of view.memory.series) n += s.t.length * 5;
  n += view.copies.timeline.t.length * (view.copies.timeline.channels.length + 1);
  return n;
}

export class App {
  private view: AnyView | null = null;
  private revision: number | null = null;
  private ui: UiState = { memoryMode: null, showSum: false, sorts: {} };
  private theme: Theme;
  private profileUi: ProfileUi | null = null;
  private comparisonUi: ComparisonSection | null = null;
  private readonly status = h("p", { id: "wm-status", class: "wm-status", role: "status", "aria-live": "polite" });
  private readonly main = h("main", { id: "wm-main" });
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly ctx: Ctx;
  /** Sections changed since the last frame (null: none; "all": a snapshot arrived). */
  private dirty: Set<string> | "all" | null = null;
  private renderScheduled = false;
  private renderEnd = 0;
  /** Main-thread milliseconds of the last message (apply) and the last frame (render), for benchmarks. */
  readonly perf = { applyMs: 0, renderMs: 0, renders: 0 };

  constructor(private readonly root: HTMLElement, private readonly host: Host) {
    this.theme = readTheme();
    applyThemeDefaults(this.theme);
    this.ctx = { openSite: (s) => this.openSite(s), inVsCode: host.kind === "vscode" };
    replaceChildren(root, this.main, this.status);
    this.showEmpty();
    onThemeChange(() => this.retheme());
  }

  start(): void {
    const saved = this.host.getState();
    if (saved) {
      this.ui = { memoryMode: saved.ui.memoryMode ?? null, showSum: !!saved.ui.showSum, sorts: { ...saved.ui.sorts } };
      if (saved.view) { this.view = saved.view; this.revision = saved.revision; this.renderAll(); }
    }
    window.addEventListener("message", (e: MessageEvent) => {
      if (isHostToWebviewMessage(e.data)) this.handle(e.data);
    });
    if (this.host.embedded) this.handle(this.host.embedded);
    if (this.host.kind === "vscode") this.host.post({ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: this.revision });
  }

  /**
   * Applies a message to the model at once, and renders at the next animation frame: messages that
   * arrive faster than frames are coalesced into one render of every section they touched.
   */
  handle(msg: HostToWebviewMessage): void {
    const t0 = performance.now();
    if (msg.type === "snapshot") {
      this.view = msg.view;
      this.revision = msg.revision;
      this.dirty = "all";
    } else {
      const view = this.view;
      if (!view || view.kind !== "profile" || msg.base !== this.revision) {
        // Out of sync (reloaded, or a message was lost): ask for a snapshot.
        this.host.post({ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: this.revision });
        return;
      }
      this.view = applyProfileViewDelta(view, msg.delta);
      this.revision = msg.revision;
      if (this.dirty !== "all") {
        const sections = deltaSections(msg.delta);
        if (this.dirty) for (const x of sections) this.dirty.add(x);
        else this.dirty = sections;
      }
    }
    this.perf.applyMs = performance.now() - t0;
    this.scheduleRender();
    this.scheduleSave();
  }

  /**
   * Renders at the next animation frame, but keeps rendering under ~1/3 of the main thread: after a
   * slow render (a huge run) the next one waits twice as long as that render took.
   */
  private scheduleRender(): void {
    if (this.renderScheduled) return;
    this.renderScheduled = true;
    const wait = this.dirty === "all" ? 0 : this.renderEnd + 2 * this.perf.renderMs - performance.now();
    if (wait > 4) setTimeout(() => requestAnimationFrame(() => this.renderFrame()), wait);
    else requestAnimationFrame(() => this.renderFrame());
  }

  private renderFrame(): void {
    this.renderScheduled = false;
    const dirty = this.dirty;
    this.dirty = null;
    if (!dirty) return;
    const t0 = performance.now();
    if (dirty === "all" || !this.view || this.view.kind !== "profile") this.renderAll();
    else this.renderProfile(this.view, dirty);
    this.renderEnd = performance.now();
    this.perf.renderMs = this.renderEnd - t0;
    this.perf.renders++;
  }

  private showEmpty(): void {
    replaceChildren(this.main, h("div", { class: "wm-empty-state" },
      h("h1", null, "Worker Memory"),
      h("p", null, this.host.kind === "vscode" ? "No profile yet. Run “Worker Memory: Profile Python Script…” or open a profile." : "This report contains no profile data.")));
  }

  private renderAll(): void {
    const view = this.view;
    if (!view) { this.showEmpty(); return; }
    if (view.kind === "profile") this.renderProfile(view, ALL_SECTIONS);
    else this.renderComparison();
  }

  private sortState(id: string): SortState | null {
    return this.ui.sorts[id] ?? null;
  }

  private onSort(id: string): (s: SortState) => void {
    return (s) => { this.ui.sorts[id] = s; this.scheduleSave(); };
  }

  private buildProfileUi(): ProfileUi {
    this.destroyUi();
    const ui: ProfileUi = {
      header: new HeaderView(this.host.kind === "vscode" ? () => this.host.post({ type: "stop" }) : null),
      memory: new MemorySection(this.theme, this.ui.memoryMode ?? "breakdown", this.ui.showSum, (mode: MemoryMode, showSum: boolean) => {
        this.ui.memoryMode = mode;
        this.ui.showSum = showSum;
        this.scheduleSave();
      }),
      copies: new CopiesSection(this.theme, this.ctx, this.sortState("sites") ?? { col: "bytes", dir: "desc" }, this.onSort("sites")),
      processes: new ProcessesSection(this.sortState("processes"), this.onSort("processes")),
      shm: new SharedMemorySection(this.ctx, this.sortState("shm"), this.onSort("shm")),
      findings: new FindingsSection(this.ctx),
    };
    replaceChildren(this.main, ui.header.element, h("nav", { class: "wm-toc", "aria-label": "Sections" },
      ...[["memory", "Memory"], ["copies", "Bytes copied"], ["processes", "Processes"], ["shared-memory", "Shared memory"], ["findings", "Findings"]]
        .map(([id, label]) => h("a", { href: `#${id}` }, label as string))),
    ui.findings.element, ui.memory.element, ui.copies.element, ui.processes.element, ui.shm.element);
    this.profileUi = ui;
    return ui;
  }

  private renderProfile(view: ProfileView, sections: Set<string>): void {
    let ui = this.profileUi;
    if (!ui) { ui = this.buildProfileUi(); sections = ALL_SECTIONS; }
    const xMax = timeAxisEnd(view);
    if (sections.has("meta")) ui.header.updateMeta(view.meta);
    if (sections.has("totals") || sections.has("meta")) ui.header.updateTotals(view.totals, view.meta);
    if (sections.has("memory") || sections.has("meta") || sections.has("totals")) ui.memory.update(view.memory, view.meta, xMax);
    if (sections.has("timeline") || sections.has("sites") || sections.has("byChannel") || sections.has("totals")) {
      ui.copies.update(view.copies, xMax, sections.has("totals") && !sections.has("timeline") ? new Set([...sections, "timeline"]) : sections);
    }
    if (sections.has("processes")) ui.processes.update(view.processes);
    if (sections.has("sharedMemory")) ui.shm.update(view.sharedMemory);
    if (sections.has("findings")) ui.findings.update(view.findings);
    document.title = `Worker Memory — ${view.meta.title}`;
  }

  private renderComparison(): void {
    const view = this.view;
    if (!view || view.kind !== "comparison") return;
    if (!this.comparisonUi) {
      this.destroyUi();
      this.comparisonUi = new ComparisonSection(this.theme, this.sortState("comparison"), this.onSort("comparison"));
      replaceChildren(this.main, this.comparisonUi.element);
    }
    this.comparisonUi.update(view);
    document.title = "Worker Memory — comparison";
  }

  private destroyUi(): void {
    if (this.profileUi) {
      this.profileUi.memory.destroy();
      this.profileUi.copies.destroy();
      this.profileUi = null;
    }
    if (this.comparisonUi) {
      this.comparisonUi.destroy();
      this.comparisonUi = null;
    }
  }

  private openSite(site: SiteRef): void {
    if (this.host.kind === "vscode") {
      this.host.post({ type: "openSite", file: site.file, line: site.line });
      text(this.status, `Opening ${site.file}:${site.line}`);
    } else {
      text(this.status, `Source: ${site.file}:${site.line}${site.function ? ` (${site.function})` : ""}`);
    }
  }

  private retheme(): void {
    this.theme = readTheme();
    applyThemeDefaults(this.theme);
    this.profileUi?.memory.setTheme(this.theme);
    this.profileUi?.copies.setTheme(this.theme);
    this.comparisonUi?.setTheme(this.theme);
  }

  private scheduleSave(): void {
    if (this.host.kind !== "vscode" || this.saveTimer !== null) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.save();
    }, 1000);
  }

  private save(): void {
    const view = this.view && countValues(this.view) <= MAX_PERSISTED_VALUES ? this.view : null;
    const state: PersistedState = { v: 1, ui: this.ui, revision: view ? this.revision : null, view };
    this.host.setState(state);
  }
}
