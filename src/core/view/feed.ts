/**
 * The host side of the webview protocol, without VS Code: keeps the latest view, answers the
 * webview's `ready` with a snapshot, then posts deltas, throttled (default ≤ 4 Hz) and only when
 * something changed; a fresh snapshot whenever the panel becomes visible again.
 *
 * src/extension/panel.ts wires this to a WebviewPanel; tests drive it with a fake clock.
 */
import type { Profile } from "../../protocol/profile";
import {
  WEBVIEW_PROTOCOL_VERSION, type AnyView, type HostToWebviewMessage, type WebviewToHostMessage,
} from "../../protocol/webview";
import { buildComparisonView, buildProfileView, ViewCache, type BuildOptions } from "./build";
import { diffProfileViews } from "./delta";

export interface FeedHost {
  post(message: HostToWebviewMessage): void;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FeedOptions {
  /** Minimum time between two posts while live (default 250 ms, i.e. ≤ 4 Hz). */
  minIntervalMs?: number;
  build?: Omit<BuildOptions, "live">;
}

type Pending = { kind: "profile"; profile: Profile; live: boolean } | { kind: "comparison"; profiles: Profile[] };

export class ViewFeed {
  private readonly minInterval: number;
  private pending: Pending | null = null;
  private latest: AnyView | null = null;
  /** What the webview has: the last view posted and its revision. */
  private sent: { revision: number; view: AnyView } | null = null;
  private revision = 0;
  private ready = false;
  private visible = true;
  private timer: unknown = null;
  private lastPostAt = -Infinity;
  private disposed = false;
  private cache = new ViewCache();

  constructor(private readonly host: FeedHost, private readonly options: FeedOptions = {}) {
    this.minInterval = options.minIntervalMs ?? 250;
  }

  /** The latest view (built on demand). */
  get view(): AnyView | null {
    this.build();
    return this.latest;
  }

  get live(): boolean {
    const v = this.view;
    return v !== null && v.kind === "profile" && v.meta.live;
  }

  /** Show (or update) a profile. Call repeatedly while live; the final call with live: false is posted at once. */
  showProfile(profile: Profile, live: boolean): void {
    if (this.disposed) return;
    this.pending = { kind: "profile", profile, live };
    if (!live) { this.cancelTimer(); this.flush(); return; }
    this.schedule();
  }

  showComparison(profiles: Profile[]): void {
    if (this.disposed) return;
    this.pending = { kind: "comparison", profiles: profiles.slice() };
    this.cancelTimer();
    this.sent = null; // always a snapshot
    this.flush();
  }

  /** Handle a (validated) message from the webview. Returns true when the feed consumed it. */
  receive(message: WebviewToHostMessage): boolean {
    if (message.type !== "ready") return false;
    this.ready = true;
    this.sendSnapshot();
    return true;
  }

  setVisible(visible: boolean): void {
    const was = this.visible;
    this.visible = visible;
    if (visible && !was) this.sendSnapshot();
  }

  /** The webview is gone (reloaded or disposed): wait for its next `ready`. */
  resetWebview(): void {
    this.ready = false;
    this.sent = null;
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer();
    this.pending = null;
  }

  private canPost(): boolean {
    return !this.disposed && this.ready && this.visible;
  }

  private build(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.kind === "profile") {
      this.latest = buildProfileView(p.profile, { ...this.options.build, live: p.live, cache: this.cache });
    } else {
      this.cache = new ViewCache();
      this.latest = buildComparisonView(p.profiles);
    }
  }

  private schedule(): void {
    if (this.timer !== null) return;
    const wait = this.lastPostAt + this.minInterval - this.host.now();
    if (wait <= 0) { this.flush(); return; }
    this.timer = this.host.setTimeout(() => { this.timer = null; this.flush(); }, wait);
  }

  private cancelTimer(): void {
    if (this.timer !== null) { this.host.clearTimeout(this.timer); this.timer = null; }
  }

  /** Post what changed since the last post (nothing if nothing did). */
  flush(): void {
    if (!this.canPost()) return; // keep pending; built when someone asks
    this.build();
    const next = this.latest;
    if (!next) return;
    const sent = this.sent;
    if (!sent || sent.view.kind !== "profile" || next.kind !== "profile") { this.sendSnapshot(); return; }
    if (sent.view === next) return;
    const delta = diffProfileViews(sent.view, next);
    if (!delta) { this.sent = { revision: sent.revision, view: next }; return; }
    const revision = ++this.revision;
    this.post({ type: "delta", v: WEBVIEW_PROTOCOL_VERSION, base: sent.revision, revision, delta });
    this.sent = { revision, view: next };
  }

  private sendSnapshot(): void {
    if (!this.canPost()) return;
    this.cancelTimer();
    this.build();
    const view = this.latest;
    if (!view) return;
    const revision = ++this.revision;
    this.post({ type: "snapshot", v: WEBVIEW_PROTOCOL_VERSION, revision, view });
    this.sent = { revision, view };
  }

  private post(message: HostToWebviewMessage): void {
    this.lastPostAt = this.host.now();
    this.host.post(message);
  }
}
