/** Small pieces shared by the sections: site links, section shells, chart figures with alternatives. */
import type { SiteRef } from "../../protocol/webview";
import { shortFile } from "../../core/view/format";
import { h } from "../dom";

export interface Ctx {
  /** The user asked to open a call site (posts openSite in VS Code; shows the path in the report). */
  openSite(site: SiteRef): void;
  inVsCode: boolean;
}

/** A keyboard-focusable link to a call site: "file.py:42", full path in the tooltip. */
export function siteLink(ctx: Ctx, site: SiteRef | null): Node {
  if (!site) return h("span", { class: "wm-muted" }, "(unknown site)");
  return h("button", {
    type: "button", class: "wm-link", title: `${site.file}:${site.line}${site.function ? ` in ${site.function}` : ""}`,
    "data-file": site.file, "data-line": site.line,
    on: { click: () => ctx.openSite(site) },
  }, `${shortFile(site.file)}:${site.line}`);
}

export function section(id: string, title: string, ...children: (Node | null)[]): HTMLElement {
  return h("section", { id, class: "wm-section", "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...children);
}

/** A chart in a figure: fixed-height box, canvas as an image with a text alternative, caption. */
export function chartFigure(id: string, caption: string, size: "tall" | "short" | "bar" = "short"): { figure: HTMLElement; canvas: HTMLCanvasElement; caption: HTMLElement } {
  const canvas = h("canvas", { id, role: "img", "aria-label": caption });
  const cap = h("figcaption", null, caption);
  const figure = h("figure", { class: "wm-figure" }, h("div", { class: `wm-chart-box ${size}` }, canvas), cap);
  return { figure, canvas, caption: cap };
}

export function dataDetails(summary: string, content: Node): HTMLDetailsElement {
  return h("details", { class: "wm-data" }, h("summary", null, summary), content);
}
