import { strict as assert } from "node:assert";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadReportAssets, renderComparisonHtml, renderProfileHtml } from "../../src/core/report/html";
import { escapeHtml, jsonForScript, renderWebviewShell, scriptForInline } from "../../src/core/report/shell";
import { buildProfileView } from "../../src/core/view/build";
import type { SnapshotMessage } from "../../src/protocol/webview";
import { hostileProfile, loadSampleProfile, XSS_FUNCTION, XSS_SCRIPT } from "./view-synthetic";

const CSS = readFileSync(join(__dirname, "..", "..", "media", "webview.css"), "utf8");
// A stand-in bundle with the strings that break naive inlining.
const JS = 'console.log("</script><script>alert(1)</script>", "<!-- x", `</SCRIPT >`);\n//# sourceMappingURL=webview.js.map\n';
const ASSETS = { webviewJs: JS, css: CSS };
function decode(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e] as string);
}

interface Tag { name: string; attrs: Record<string, string>; body: string }

/** Minimal HTML scanner: start tags with attributes and the raw text of script/style elements. */
function tags(html: string): Tag[] {
  const out: Tag[] = [];
  const re = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*)\s*\/?>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    const name = (m[1] as string).toLowerCase();
    const attrs: Record<string, string> = {};
    const ar = /([^\s=>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
    let a: RegExpExecArray | null;
    while ((a = ar.exec(m[2] ?? ""))) attrs[(a[1] as string).toLowerCase()] = decode(a[2] ?? a[3] ?? a[4] ?? "");
    let body = "";
    if (name === "script" || name === "style") {
      const end = html.toLowerCase().indexOf(`</${name}`, re.lastIndex);
      assert.ok(end >= 0, `unterminated <${name}>`);
      body = html.slice(re.lastIndex, end);
      re.lastIndex = end;
    }
    out.push({ name, attrs, body });
  }
  return out;
}

function checkReport(html: string): { nonce: string; data: SnapshotMessage } {
  const all = tags(html);
  const metas = all.filter((t) => t.name === "meta" && t.attrs["http-equiv"]?.toLowerCase() === "content-security-policy");
  assert.equal(metas.length, 1, "one CSP meta tag");
  const csp = (metas[0] as Tag).attrs.content as string;
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|https?:|\*/);
  const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  assert.ok(nonce && nonce.length >= 16, "a script nonce");
  assert.match(csp, new RegExp(`style-src 'nonce-${nonce.replace(/[+/=]/g, "\\$&")}'`));
  // CSP must come before anything it governs.
  assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<style"));
  const scripts = all.filter((t) => t.name === "script");
  assert.equal(scripts.length, 2);
  for (const s of scripts) {
    assert.ok(s.attrs.nonce === nonce || s.attrs.type === "application/json", `script ${JSON.stringify(s.attrs)}`);
    assert.equal(s.attrs.src, undefined, "no external scripts");
  }
  for (const s of all.filter((t) => t.name === "style")) assert.equal(s.attrs.nonce, nonce);
  assert.equal(all.filter((t) => t.name === "link" || t.name === "img" || t.name === "iframe").length, 0, "no links, images, frames");
  assert.doesNotMatch(html, /https?:\/\//i, "no http(s) URLs");
  assert.doesNotMatch(html, /sourceMappingURL/);
  const json = scripts.find((s) => s.attrs.type === "application/json");
  assert.equal(json?.attrs.id, "wmprof-data");
  assert.doesNotMatch(json?.body ?? "", /</, "no raw < in the data");
  return { nonce, data: JSON.parse(json?.body ?? "") as SnapshotMessage };
}

describe("renderProfileHtml", () => {
  it("is one self-contained file with a strict CSP and the view embedded", () => {
    const profile = loadSampleProfile();
    const html = renderProfileHtml(profile, ASSETS);
    const { data } = checkReport(html);
    assert.equal(data.type, "snapshot");
    assert.deepEqual(data.view, buildProfileView(profile));
    assert.ok(html.includes(CSS.slice(0, 200)), "CSS inlined");
    assert.ok(html.includes('console.log("<\\/script><script>alert(1)<\\/script>", "<\\!-- x", `<\\/SCRIPT >`);'), "bundle inlined, escaped");
  });

  it("uses a fresh nonce per render", () => {
    const p = loadSampleProfile();
    assert.notEqual(checkReport(renderProfileHtml(p, ASSETS)).nonce, checkReport(renderProfileHtml(p, ASSETS)).nonce);
  });

  it("escapes hostile names from the profile", () => {
    const profile = hostileProfile();
    const html = renderProfileHtml(profile, ASSETS);
    const { data } = checkReport(html);
    // The hostile strings only exist escaped: the title is entity-escaped, the data \u-escaped.
    assert.doesNotMatch(html, /<img/i);
    assert.equal(html.match(/<\/script>/gi)?.length, 2, "only the two real </script> end tags");
    assert.match(html, /<title>Worker Memory — &lt;img src=x onerror=alert\(1\)&gt;\.py<\/title>/);
    assert.ok(data.view.kind === "profile");
    assert.equal(data.view.meta.title, XSS_SCRIPT);
    assert.equal(data.view.copies.sites[0]?.site?.function, XSS_FUNCTION);
    assert.equal(data.view.findings.find((f) => f.rule === "large-task-args")?.message, "<b>bold</b> & </script><!-- ");
  });
});

describe("renderComparisonHtml", () => {
  it("embeds a comparison view under the same rules", () => {
    const html = renderComparisonHtml([loadSampleProfile(), hostileProfile()], ASSETS);
    const { data } = checkReport(html);
    assert.equal(data.view.kind, "comparison");
    assert.ok(data.view.kind === "comparison" && data.view.rows[1]?.label === XSS_SCRIPT);
    assert.doesNotMatch(html, /<img/i);
  });
});

describe("report helpers", () => {
  it("jsonForScript round-trips and never contains < > & or line separators", () => {
    const v = { s: "</script><!--\u2028\u2029&>", n: [1, null] };
    const j = jsonForScript(v);
    assert.doesNotMatch(j, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(j), v);
  });

  it("scriptForInline keeps the code's meaning in strings", () => {
    const src = 'var a = "</script>" + "<!--"; var b = /<\\/script>/.test("</script>");';
    const out = scriptForInline(src);
    assert.doesNotMatch(out, /<\/script|<!--/i);
    const run = (code: string) => new Function(`${code}; return [a, b];`)() as unknown[];
    assert.deepEqual(run(out), run(src));
  });

  it("escapeHtml", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("loadReportAssets reads dist/webview.js and media/webview.css next to it", () => {
    const root = mkdtempSync(join(tmpdir(), "wmprof-assets-"));
    try {
      mkdirSync(join(root, "dist"));
      mkdirSync(join(root, "media"));
      writeFileSync(join(root, "dist", "webview.js"), "js");
      writeFileSync(join(root, "media", "webview.css"), "css");
      assert.deepEqual(loadReportAssets(join(root, "dist")), { webviewJs: "js", css: "css" });
      assert.throws(() => loadReportAssets(join(root, "nope")), /npm run build/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("renderWebviewShell (the VS Code panel page)", () => {
  it("has a strict CSP with the webview's source and the nonce; scripts only from the given URI", () => {
    const html = renderWebviewShell({
      nonce: "abcdefABCDEF0123456789==", cspSource: "https://file+.vscode-resource.vscode-cdn.net",
      scriptUri: "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js",
      styleUri: "https://file+.vscode-resource.vscode-cdn.net/ext/media/webview.css", title: "<Worker>",
    });
    const all = tags(html);
    const csp = all.find((t) => t.name === "meta" && t.attrs["http-equiv"] === "Content-Security-Policy")?.attrs.content ?? "";
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abcdefABCDEF0123456789=='/);
    assert.match(csp, /style-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net(;|$)/);
    assert.match(csp, /img-src https:\/\/file\+\.vscode-resource\.vscode-cdn\.net data:/);
    assert.doesNotMatch(csp, /unsafe/);
    const scripts = all.filter((t) => t.name === "script");
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0]?.attrs.nonce, "abcdefABCDEF0123456789==");
    assert.equal(scripts[0]?.attrs.src, "https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js");
    assert.equal(scripts[0]?.body.trim(), "", "no inline script");
    assert.match(html, /<title>&lt;Worker&gt;<\/title>/);
  });
});
