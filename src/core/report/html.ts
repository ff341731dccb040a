/**
 * Self-contained HTML reports (`wmprof --html`, `wmprof compare --html`): the webview bundle
 * (Chart.js included) and CSS inlined, the view model embedded as JSON, a strict CSP with a nonce.
 * The page runs the same app as the VS Code panel, fed by the embedded snapshot instead of a host.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Profile } from "../../protocol/profile";
import { WEBVIEW_PROTOCOL_VERSION, type AnyView, type SnapshotMessage } from "../../protocol/webview";
import { buildComparisonView, buildProfileView } from "../view/build";
import { makeNonce, renderReportShell } from "./shell";

export interface ReportAssets {
  /** dist/webview.js */
  webviewJs: string;
  /** media/webview.css */
  css: string;
}

/**
 * Reads the assets a report inlines: `<distDir>/webview.js` and `webview.css` from `mediaDir`
 * (default: the `media` folder next to `distDir`).
 */
export function loadReportAssets(distDir: string, mediaDir: string = join(distDir, "..", "media")): ReportAssets {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      const err = new Error(`Cannot read the report's ${what} at ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run \`npm run build\`.`);
      throw err;
    }
  };
  return { webviewJs: read(join(distDir, "webview.js"), "script"), css: read(join(mediaDir, "webview.css"), "stylesheet") };
}

function snapshot(view: AnyView): SnapshotMessage {
  return { type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision: 0, view };
}

export function renderProfileHtml(profile: Profile, assets: ReportAssets, opts: { nonce?: string } = {}): string {
  const view = buildProfileView(profile, { live: false });
  return renderReportShell({
    nonce: opts.nonce ?? makeNonce(),
    title: `Worker Memory — ${view.meta.title}`,
    data: snapshot(view),
    webviewJs: assets.webviewJs,
    css: assets.css,
  });
}

export function renderComparisonHtml(profiles: Profile[], assets: ReportAssets, opts: { nonce?: string } = {}): string {
  const view = buildComparisonView(profiles);
  return renderReportShell({
    nonce: opts.nonce ?? makeNonce(),
    title: `Worker Memory — comparing ${view.rows.map((r) => r.label).join(", ")}`,
    data: snapshot(view),
    webviewJs: assets.webviewJs,
    css: assets.css,
  });
}
