/**
 * Webview entry (bundled to dist/webview.js, browser iife, Chart.js included). Runs in the VS Code
 * panel (acquireVsCodeApi exists) and in the self-contained HTML report (data embedded in
 * #wmprof-data): the same rendering code path for both.
 */
import { App } from "./app";
import { detectHost } from "./host";

function boot(): void {
  const host = detectHost();
  let root = document.getElementById("wmprof-app");
  if (!root) {
    root = document.createElement("div");
    root.id = "wmprof-app";
    document.body.appendChild(root);
  }
  window.addEventListener("error", (e) => host.post({ type: "error", message: String(e.message ?? e.error) }));
  window.addEventListener("unhandledrejection", (e) => host.post({ type: "error", message: String(e.reason) }));
  const app = new App(root, host);
  (window as unknown as { wmprofApp?: App }).wmprofApp = app;
  app.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
