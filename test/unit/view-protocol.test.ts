import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildProfileView } from "../../src/core/view/build";
import {
  isHostToWebviewMessage, isWebviewToHostMessage, WEBVIEW_PROTOCOL_VERSION,
} from "../../src/protocol/webview";
import { loadSampleProfile } from "./view-synthetic";

describe("webview protocol", () => {
  it("accepts the webview's messages", () => {
    assert.ok(isWebviewToHostMessage({ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: null }));
    assert.ok(isWebviewToHostMessage({ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: 3 }));
    assert.ok(isWebviewToHostMessage({ type: "openSite", file: "/a.py", line: 1 }));
    assert.ok(isWebviewToHostMessage({ type: "stop" }));
    assert.ok(isWebviewToHostMessage({ type: "error", message: "x" }));
  });

  it("rejects malformed or foreign messages", () => {
    for (const m of [
      null, "ready", [], {}, { type: "ready" }, { type: "ready", v: 99, revision: null }, { type: "ready", v: 1, revision: 1.5 },
      { type: "openSite", file: "", line: 1 }, { type: "openSite", file: "/a.py", line: 0 }, { type: "openSite", file: "/a.py", line: "3" },
      { type: "openSite", file: 3, line: 3 }, { type: "error" }, { type: "exec", command: "rm" },
    ]) assert.equal(isWebviewToHostMessage(m), false, JSON.stringify(m));
  });

  it("validates host messages by version and kind", () => {
    const view = buildProfileView(loadSampleProfile());
    assert.ok(isHostToWebviewMessage({ type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision: 1, view }));
    assert.ok(isHostToWebviewMessage({ type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: 1, revision: 2, delta: { kind: "profile" } }));
    assert.equal(isHostToWebviewMessage({ type: "snapshot", v: 2, revision: 1, view }), false);
    assert.equal(isHostToWebviewMessage({ type: "snapshot", v: 1, revision: 1, view: { kind: "other" } }), false);
    assert.equal(isHostToWebviewMessage({ type: "delta", v: 1, base: 1, revision: 2 }), false);
    assert.equal(isHostToWebviewMessage({ type: "hello", v: 1 }), false);
  });
});
