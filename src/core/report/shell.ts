/**
 * The HTML page around the webview app, for both faces that show it:
 * - the VS Code panel: script and stylesheet loaded from webview URIs (`asWebviewUri`), and
 * - the self-contained report: script, stylesheet and data inlined.
 * Both get a strict CSP with a fresh nonce: no 'unsafe-eval', no 'unsafe-inline', nothing remote.
 */
/**
 * A fresh CSP nonce (128 random bits, base64). Web Crypto's global, not node:crypto: importing
 * that module costs every CLI start ~3 ms, and most runs write no page.
 */
export function makeNonce(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString("base64");
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

/** Escapes a value for a double-quoted attribute (keeps the CSP's single quotes readable). */
export function escapeAttr(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));
}

/**
 * JSON that is safe inside <script type="application/json">: `<`, `>`, `&` and the JS line
 * separators are \u-escaped, so "</script>" or "<!--" in the data cannot end or confuse the element.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** JavaScript source that is safe inside an inline <script>: no "</script", no "<!--", no source-map URL. */
export function scriptForInline(js: string): string {
  return js
    .replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, "\n")
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<!--/g, "<\\!--");
}

/** CSS that is safe inside an inline <style>. */
export function styleForInline(css: string): string {
  return css.replace(/<\/(style)/gi, "<\\/$1");
}

export interface WebviewShellOptions {
  nonce: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** `asWebviewUri(dist/webview.js)`, as a string. */
  scriptUri: string;
  /** `asWebviewUri(media/webview.css)`, as a string. */
  styleUri: string;
  title: string;
}

/** The VS Code panel's page (VS Code adds the --vscode-* variables and the theme body class). */
export function renderWebviewShell(o: WebviewShellOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource}`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${escapeHtml(o.title)}</title>
</head>
<body>
<div id="wmprof-app"></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

export interface ReportShellOptions {
  nonce: string;
  title: string;
  /** The embedded message (a snapshot), serialized with jsonForScript. */
  data: unknown;
  webviewJs: string;
  css: string;
}

/** The standalone report: one file, readable offline, no requests. */
export function renderReportShell(o: ReportShellOptions): string {
  const csp = [
    "default-src 'none'",
    "img-src data:",
    `style-src 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="wmprof">
<title>${escapeHtml(o.title)}</title>
<style nonce="${escapeAttr(o.nonce)}">
${styleForInline(o.css)}
</style>
</head>
<body class="wm-report">
<div id="wmprof-app"><noscript>This report needs JavaScript to draw its charts.</noscript></div>
<script type="application/json" id="wmprof-data">${jsonForScript(o.data)}</script>
<script nonce="${escapeAttr(o.nonce)}">
${scriptForInline(o.webviewJs)}
</script>
</body>
</html>
`;
}
