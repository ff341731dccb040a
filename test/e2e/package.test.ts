/**
 * The packaged .vsix (built by `npm run package` before this suite): only what runs and the docs
 * vsce shows, nothing from src/, tests or node_modules, and small.
 */
import { strict as assert } from "node:assert";
import { readFileSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { VSIX } from "./rig";

/** Entry names from a zip's central directory (enough of the format for a listing). */
function zipEntries(buf: Buffer): string[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, "not a zip file (no end-of-central-directory record)");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let n = 0; n < count; n++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, "corrupt central directory");
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString("utf8", p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

describe("the .vsix", () => {
  const entries = zipEntries(readFileSync(VSIX)).filter((e) => e.startsWith("extension/")).map((e) => e.slice("extension/".length));

  it("holds the bundles, webview assets, harness and docs", () => {
    for (const f of ["package.json", "dist/extension.js", "dist/webview.js", "harness/python/wmprof_run.py", "readme.md", "changelog.md", "LICENSE.txt"]) {
      assert.ok(entries.includes(f), `${f} missing from the .vsix: ${entries.join(", ")}`);
    }
    assert.ok(entries.some((e) => e.startsWith("media/")), "media/ missing");
  });

  it("holds nothing else", () => {
    const allowed = /^(package\.json|readme\.md|changelog\.md|LICENSE\.txt|dist\/[\w-]+\.js|media\/.+|harness\/(python\/.+\.py|node\/.+\.(js|mjs|cjs|json)))$/;
    const extra = entries.filter((e) => !allowed.test(e));
    assert.deepEqual(extra, []);
  });

  it("is smaller than 2 MB", () => {
    assert.ok(statSync(VSIX).size < 2 * 1024 * 1024, `${statSync(VSIX).size} bytes`);
  });
});
