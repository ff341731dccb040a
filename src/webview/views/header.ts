/** Title, live status, Stop, and the header totals. */
import type { HeaderTotals, ProfileMeta } from "../../protocol/webview";
import { formatBytes, formatCount, formatDuration, formatExitCode } from "../../core/view/format";
import { h, replaceChildren, text } from "../dom";

interface Card { dd: HTMLElement; sub: HTMLElement }

export class HeaderView {
  readonly element: HTMLElement;
  private readonly title = h("h1", { id: "wm-title" });
  private readonly badge = h("span", { class: "wm-badge", id: "wm-status-badge" });
  private readonly stop: HTMLButtonElement;
  private readonly command = h("p", { class: "wm-command" });
  private readonly warnings = h("ul", { class: "wm-warnings", "aria-label": "Warnings" });
  private readonly cards = new Map<string, Card>();

  constructor(onStop: (() => void) | null) {
    this.stop = h("button", { type: "button", class: "wm-button", id: "wm-stop", hidden: true, on: { click: () => onStop?.() } }, "Stop");
    const dl = h("dl", { class: "wm-totals" });
    const add = (id: string, label: string) => {
      const dd = h("dd", { "data-total": id });
      const sub = h("span", { class: "wm-sub", "data-total-sub": id });
      dl.appendChild(h("div", { class: "wm-card" }, h("dt", null, label), dd, sub));
      this.cards.set(id, { dd, sub });
    };
    add("wall", "Wall time");
    add("processes", "Processes");
    add("sent", "Bytes sent");
    add("received", "Bytes received");
    add("pss", "Peak Σ PSS");
    add("rss", "Peak Σ RSS");
    add("cow", "Worst COW-broken");
    add("shm", "Shared memory");
    this.element = h("header", { class: "wm-header" },
      h("div", { class: "wm-title-row" }, this.title, this.badge, onStop ? this.stop : null),
      this.command, dl, this.warnings);
  }

  private set(id: string, value: string, sub = ""): void {
    const c = this.cards.get(id);
    if (!c) return;
    text(c.dd, value);
    text(c.sub, sub);
  }

  updateMeta(meta: ProfileMeta): void {
    text(this.title, meta.title);
    const status = meta.live ? "Live" : !meta.complete ? "Incomplete" : meta.exitCode !== null && meta.exitCode !== 0 ? `Exited ${formatExitCode(meta.exitCode)}` : "Complete";
    text(this.badge, status);
    this.badge.className = `wm-badge ${meta.live ? "live" : meta.complete && (meta.exitCode ?? 0) === 0 ? "ok" : "warn"}`;
    this.stop.hidden = !meta.live;
    const started = meta.startedAt ? new Date(meta.startedAt) : null;
    const when = started && !Number.isNaN(started.getTime()) ? started.toLocaleString() : meta.startedAt;
    replaceChildren(this.command,
      h("code", { title: meta.cwd }, meta.command.join(" ")),
      ` · started ${when}`,
      meta.interpreter ? ` · ${meta.runtime} ${meta.interpreter}` : "",
      ` · ${meta.platform}`);
    const warnings = [...meta.warnings];
    if (!meta.pss) {
      warnings.unshift(meta.uss
        ? "PSS unavailable on this platform: shared memory is estimated as RSS − USS, and Σ PSS is not reported."
        : "PSS unavailable on this platform (and USS too): only RSS is shown, and Σ PSS is not reported.");
    }
    if (meta.stats.malformedLines > 0) warnings.push(`${meta.stats.malformedLines} malformed event line(s) were skipped.`);
    replaceChildren(this.warnings, ...warnings.map((w) => h("li", null, w)));
    this.warnings.hidden = warnings.length === 0;
  }

  updateTotals(t: HeaderTotals, meta: ProfileMeta): void {
    this.set("wall", formatDuration(t.wallMs));
    this.set("processes", formatCount(t.processes));
    this.set("sent", formatBytes(t.bytesSent), `${formatCount(t.messagesSent)} messages`);
    this.set("received", formatBytes(t.bytesReceived), `${formatCount(t.messagesReceived)} messages`);
    if (t.peakPssSum === null) this.set("pss", "–", meta.pss ? "no samples yet" : "PSS unavailable on this platform");
    else this.set("pss", formatBytes(t.peakPssSum), "shared pages counted once");
    const ratio = t.peakPssSum && t.peakRssSum ? ` (${(t.peakRssSum / t.peakPssSum).toFixed(1)}× Σ PSS)` : "";
    this.set("rss", formatBytes(t.peakRssSum), `what naive tools report${ratio}`);
    this.set("cow", formatBytes(t.maxCowBrokenBytes), "private dirty in a fork child");
    this.set("shm", formatBytes(t.sharedMemoryBytes), "shared_memory & co., counted once");
  }
}
