/**
 * Where the app runs: inside a VS Code webview (acquireVsCodeApi exists; messages both ways,
 * state via getState/setState) or in the standalone HTML report (the snapshot is embedded in
 * <script type="application/json" id="wmprof-data">; nothing to post to).
 */
import type { AnyView, HostToWebviewMessage, MemoryMetric, WebviewToHostMessage } from "../protocol/webview";
import type { SortState } from "./table";

export type MemoryMode = "breakdown" | MemoryMetric;

export interface UiState {
  memoryMode: MemoryMode | null;
  showSum: boolean;
  sorts: Record<string, SortState>;
}

export interface PersistedState {
  v: 1;
  ui: UiState;
  revision: number | null;
  view: AnyView | null;
}

export interface Host {
  readonly kind: "vscode" | "report";
  post(message: WebviewToHostMessage): void;
  getState(): PersistedState | undefined;
  setState(state: PersistedState): void;
  /** The embedded snapshot (report only). */
  readonly embedded: HostToWebviewMessage | null;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  // Provided by VS Code inside webviews; may be called once.
  function acquireVsCodeApi(): VsCodeApi;
}

function isPersisted(x: unknown): x is PersistedState {
  return typeof x === "object" && x !== null && (x as PersistedState).v === 1 && typeof (x as PersistedState).ui === "object";
}

export function detectHost(): Host {
  if (typeof acquireVsCodeApi === "function") {
    const api = acquireVsCodeApi();
    return {
      kind: "vscode",
      embedded: null,
      post: (m) => api.postMessage(m),
      getState: () => {
        const s = api.getState();
        return isPersisted(s) ? s : undefined;
      },
      setState: (s) => api.setState(s),
    };
  }
  let embedded: HostToWebviewMessage | null = null;
  const el = document.getElementById("wmprof-data");
  if (el?.textContent) embedded = JSON.parse(el.textContent) as HostToWebviewMessage;
  let state: PersistedState | undefined;
  return {
    kind: "report",
    embedded,
    post: () => undefined,
    getState: () => state,
    setState: (s) => { state = s; },
  };
}
