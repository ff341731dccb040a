import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ViewFeed } from "../../src/core/view/feed";
import { applyProfileViewDelta, deepEqual } from "../../src/core/view/delta";
import { buildProfileView } from "../../src/core/view/build";
import { WEBVIEW_PROTOCOL_VERSION, type AnyView, type HostToWebviewMessage } from "../../src/protocol/webview";
import { loadSampleProfile, profileAt } from "./view-synthetic";

/** A fake clock and webview: tests advance time by hand, nothing depends on the wall clock. */
function harness(minIntervalMs = 250) {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  const posted: HostToWebviewMessage[] = [];
  const feed = new ViewFeed({
    post: (m) => posted.push(JSON.parse(JSON.stringify(m)) as HostToWebviewMessage),
    now: () => now,
    setTimeout: (fn, ms) => { const id = nextId++; timers.push({ at: now + ms, fn, id }); return id; },
    clearTimeout: (id) => { const i = timers.findIndex((t) => t.id === id); if (i >= 0) timers.splice(i, 1); },
  }, { minIntervalMs });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      now = t.at;
      t.fn();
    }
    now = end;
  };
  /** Replays posted messages like the webview does. */
  const webviewView = (): AnyView | null => {
    let view: AnyView | null = null;
    let rev: number | null = null;
    for (const m of posted) {
      if (m.type === "snapshot") { view = m.view; rev = m.revision; continue; }
      assert.equal(m.base, rev, "delta base is the revision the webview has");
      assert.ok(view && view.kind === "profile");
      view = applyProfileViewDelta(view, m.delta);
      rev = m.revision;
    }
    return view;
  };
  const ready = () => feed.receive({ type: "ready", v: WEBVIEW_PROTOCOL_VERSION, revision: null });
  return { feed, posted, advance, webviewView, ready, pendingTimers: () => timers.length };
}

describe("ViewFeed", () => {
  const full = loadSampleProfile();

  it("posts nothing before the webview is ready, then a snapshot", () => {
    const h = harness();
    h.feed.showProfile(profileAt(full, 1000), true);
    h.advance(1000);
    assert.equal(h.posted.length, 0);
    h.ready();
    assert.equal(h.posted.length, 1);
    assert.equal(h.posted[0]?.type, "snapshot");
    assert.equal(h.posted[0]?.v, WEBVIEW_PROTOCOL_VERSION);
  });

  it("throttles live updates to one post per interval, as deltas, and only when changed", () => {
    const h = harness(250);
    h.ready();
    h.feed.showProfile(profileAt(full, 500), true); // first post goes out at once
    assert.equal(h.posted.length, 1);
    for (let t = 600; t <= 1400; t += 100) h.feed.showProfile(profileAt(full, t), true);
    assert.equal(h.posted.length, 1, "held back within the interval");
    h.advance(250);
    assert.equal(h.posted.length, 2);
    assert.equal(h.posted[1]?.type, "delta");
    assert.ok(deepEqual(h.webviewView(), buildProfileView(profileAt(full, 1400), { live: true })));
    // Same data again: nothing to post.
    h.advance(1000);
    h.feed.showProfile(profileAt(full, 1400), true);
    h.advance(1000);
    assert.equal(h.posted.length, 2);
  });

  it("posts the final (not live) profile at once", () => {
    const h = harness(250);
    h.ready();
    h.feed.showProfile(profileAt(full, 500), true);
    h.feed.showProfile(profileAt(full, 900), true);
    h.feed.showProfile(full, false);
    assert.equal(h.posted.length, 2);
    assert.equal(h.pendingTimers(), 0);
    assert.ok(deepEqual(h.webviewView(), buildProfileView(full)));
  });

  it("holds posts while hidden and sends a fresh snapshot when visible again", () => {
    const h = harness(250);
    h.ready();
    h.feed.showProfile(profileAt(full, 500), true);
    h.feed.setVisible(false);
    h.feed.showProfile(profileAt(full, 1500), true);
    h.advance(2000);
    assert.equal(h.posted.length, 1);
    h.feed.setVisible(true);
    assert.equal(h.posted.length, 2);
    assert.equal(h.posted[1]?.type, "snapshot");
    assert.ok(deepEqual(h.webviewView(), buildProfileView(profileAt(full, 1500), { live: true })));
  });

  it("answers every ready (reload, resync) with a snapshot and keeps revisions increasing", () => {
    const h = harness(250);
    h.feed.showProfile(full, false);
    h.ready();
    h.ready();
    assert.deepEqual(h.posted.map((m) => m.type), ["snapshot", "snapshot"]);
    const revs = h.posted.map((m) => m.revision);
    assert.ok((revs[1] as number) > (revs[0] as number));
  });

  it("sends comparisons whole, and a profile after a comparison as a snapshot", () => {
    const h = harness(250);
    h.ready();
    h.feed.showComparison([full, full]);
    assert.equal(h.posted[0]?.type, "snapshot");
    assert.equal((h.posted[0] as { view: AnyView }).view.kind, "comparison");
    h.advance(1000);
    h.feed.showProfile(full, false);
    assert.equal(h.posted[1]?.type, "snapshot");
    assert.equal(h.feed.live, false);
  });

  it("stops posting after dispose", () => {
    const h = harness(250);
    h.ready();
    h.feed.showProfile(profileAt(full, 500), true);
    h.feed.showProfile(profileAt(full, 700), true);
    h.feed.dispose();
    h.advance(1000);
    assert.equal(h.posted.length, 1);
  });
});
