/**
 * Runs one profile at a time: a small state machine (Idle → Starting → Running → Stopping → Done)
 * in the spirit of austin-vscode's executor. The run itself is the core's ProfileSession, the same
 * one the CLI uses; this file only connects it to VS Code: one output channel, a status-bar item
 * that stops the run when clicked, a progress notification while starting, the panel and the
 * editor hints while live, and a `workerMemory.running` context key for menus.
 */
import { StringDecoder } from "node:string_decoder";
import { basename } from "node:path";
import * as vscode from "vscode";
import { ProfileSession, type LiveStatus, type SessionOptions } from "../core/session";
import { describeError, WmprofError } from "../core/errors";
import type { Profile } from "../protocol/profile";
import type { Settings } from "./settings";
import { resolveInterpreter, InterpreterError, showInterpreterError } from "./interpreter";
import { DEFAULT_NODE_CANDIDATES, resolveNode } from "../core/nodeRuntime";
import { isNodeTarget } from "../core/target";
import { formatBytes } from "../core/view/format";
import { formatElapsed } from "./format";

export type LaunchState = "idle" | "starting" | "running" | "stopping" | "done";

export interface LaunchRequest {
  /** Absolute path of the script. */
  script: string;
  args: string[];
  cwd: string;
  settings: Readonly<Settings>;
  /** The document or folder the run belongs to (picks the Python extension's interpreter). */
  resource: vscode.Uri | undefined;
}

/** What the launcher tells the rest of the extension; implemented in extension.ts. */
export interface LaunchListener {
  /** A run started: show the panel. */
  started(script: string): void;
  /** Live snapshot (throttled by the core to ~4 Hz, only when something changed). */
  live(profile: Profile): void;
  /** Final profile, also after a crash or Stop. */
  finished(profile: Profile): void;
}

export const RUNNING_CONTEXT_KEY = "workerMemory.running";

export class Launcher implements vscode.Disposable {
  private state: LaunchState = "idle";
  private session: ProfileSession | undefined;
  /** Set while Starting: cancels the start (the progress notification's Cancel, or Stop). */
  private startCancelled = false;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  /** Per-run disposables: the session and its listeners. */
  private runDisposables: vscode.Disposable[] = [];
  private readonly stateEmitter = new vscode.EventEmitter<LaunchState>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly listener: LaunchListener,
    private readonly stopCommand: string,
  ) {
    this.statusBar = vscode.window.createStatusBarItem("workerMemory.status", vscode.StatusBarAlignment.Left, 50);
    this.statusBar.name = "Worker Memory Profiler";
    this.statusBar.command = stopCommand;
    this.disposables.push(this.statusBar, this.stateEmitter);
  }

  get currentState(): LaunchState {
    return this.state;
  }

  get busy(): boolean {
    return this.state === "starting" || this.state === "running" || this.state === "stopping";
  }

  private setState(s: LaunchState): void {
    this.state = s;
    void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT_KEY, this.busy);
    this.stateEmitter.fire(s);
  }

  /** Starts a run. Resolves when the run is over (after `finished`), or undefined if it never started. */
  async run(req: LaunchRequest): Promise<Profile | undefined> {
    if (this.busy) {
      const stop = "Stop Profiling";
      const pick = await vscode.window.showWarningMessage("Worker Memory: a profile is already running. Stop it before starting another.", stop);
      if (pick === stop) await this.stop();
      return undefined;
    }
    this.startCancelled = false;
    this.setState("starting");
    this.showStatus({ state: "starting", elapsedMs: 0, processes: 0, bytesCopied: 0 });
    const name = basename(req.script);

    let session: ProfileSession | undefined;
    try {
      session = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Worker Memory: starting ${name}…`, cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => (this.startCancelled = true));
          const python = isNodeTarget({ kind: "script", path: req.script })
            ? await resolveNode(req.settings.nodePath ? [req.settings.nodePath] : DEFAULT_NODE_CANDIDATES)
            : await resolveInterpreter(req.settings.pythonPath, req.resource);
          if (this.startCancelled) return undefined;
          const opts: SessionOptions = {
            target: { kind: "script", path: req.script },
            args: req.args,
            python: python.executable,
            pythonVersion: python.version,
            cwd: req.cwd,
            env: req.settings.env,
            intervalMs: req.settings.sampleIntervalMs,
            tracemalloc: req.settings.tracemalloc,
            maxProcesses: req.settings.maxProcesses,
            stdio: "pipe",
            endWithHost: true,
          };
          this.output.appendLine(`▶ ${python.executable} ${[req.script, ...req.args].join(" ")}  (${python.version.startsWith("v") ? "Node.js" : "Python"} ${python.version}, cwd ${req.cwd})`);
          const s = await ProfileSession.start(opts);
          if (this.startCancelled) {
            // Stop was asked for while the process was being created: end it right away.
            await s.stop();
          }
          return s;
        },
      );
    } catch (err) {
      this.setState("idle");
      this.statusBar.hide();
      if (err instanceof InterpreterError) {
        void showInterpreterError(err);
      } else {
        const msg = describeError(err);
        this.output.appendLine(`✖ ${msg}`);
        void vscode.window.showErrorMessage(err instanceof WmprofError ? msg : `Worker Memory: ${msg}`);
      }
      return undefined;
    }
    if (!session) {
      this.setState("idle");
      this.statusBar.hide();
      return undefined;
    }

    this.session = session;
    this.runDisposables.push({ dispose: () => void session.stop() });
    if (this.state === "starting") this.setState(this.startCancelled ? "stopping" : "running");
    this.listener.started(req.script);

    const out = new StringDecoder("utf8");
    const err = new StringDecoder("utf8");
    session.on("stdout", (chunk: Buffer) => this.output.append(out.write(chunk)));
    session.on("stderr", (chunk: Buffer) => this.output.append(err.write(chunk)));
    session.on("update", (s: LiveStatus) => {
      if (this.session !== session) return;
      this.showStatus(s);
      if (s.state !== "done") this.listener.live(session.snapshot());
    });

    let profile: Profile;
    try {
      profile = await session.done;
    } catch (e) {
      // `done` resolves even after crashes; a rejection is our bug. Report it and reset.
      this.output.appendLine(`✖ ${describeError(e)}`);
      void vscode.window.showErrorMessage(`Worker Memory: ${describeError(e)}`);
      this.reset();
      this.setState("idle");
      return undefined;
    }
    this.output.append(out.end() + err.end());
    const code = profile.exitCode;
    const how = code === null ? "ended" : code < 0 ? `was killed by signal ${-code}` : `exited with code ${code}`;
    this.output.appendLine(
      `■ ${name} ${how} after ${formatElapsed(profile.wallMs)} · ${profile.totals.processes} processes · ${formatBytes(profile.totals.bytesSent)} copied`,
    );
    const stopped = this.state === "stopping";
    this.reset();
    this.setState("done");
    this.listener.finished(profile);
    if (!stopped && code !== 0 && code !== null) {
      // A crash is the script's own business, but say so: its traceback is in the output channel.
      const show = "Show Output";
      void vscode.window.showWarningMessage(`Worker Memory: ${name} ${how}; the profile covers the run up to then.`, show).then((pick) => {
        if (pick === show) this.output.show(true);
      });
    }
    return profile;
  }

  /** Stops the run and its whole process tree; resolves when the process tree is gone. */
  async stop(): Promise<void> {
    if (this.state === "starting") {
      this.startCancelled = true;
      this.setState("stopping");
      this.showStatus({ state: "stopping", elapsedMs: 0, processes: 0, bytesCopied: 0 });
      return;
    }
    const session = this.session;
    if (!session || this.state !== "running") {
      if (this.state === "stopping") return;
      void vscode.window.showInformationMessage("Worker Memory: nothing is being profiled.");
      return;
    }
    this.setState("stopping");
    this.statusBar.text = "$(loading~spin) Worker Memory: stopping…";
    this.output.appendLine("■ Stop requested: ending the process tree…");
    await session.stop();
  }

  private showStatus(s: LiveStatus): void {
    if (s.state === "starting") {
      this.statusBar.text = "$(loading~spin) Worker Memory: starting…";
      this.statusBar.tooltip = "Starting the script under the profiler. Click to stop.";
    } else if (s.state === "stopping" || this.state === "stopping") {
      this.statusBar.text = "$(loading~spin) Worker Memory: stopping…";
      this.statusBar.tooltip = "Stopping the script and every process it started.";
    } else {
      const procs = `${s.processes} ${s.processes === 1 ? "process" : "processes"}`;
      this.statusBar.text = `$(debug-stop) ${formatElapsed(s.elapsedMs)} · ${procs} · ${formatBytes(s.bytesCopied)} copied`;
      this.statusBar.tooltip = "Worker Memory Profiler is running. Click to stop the script and every process it started.";
    }
    this.statusBar.show();
  }

  private reset(): void {
    this.session = undefined;
    this.statusBar.hide();
    for (const d of this.runDisposables.splice(0)) d.dispose();
  }

  /** Called on deactivate: ends a running script's process tree. */
  async shutdown(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await s.stop();
  }

  dispose(): void {
    void this.shutdown();
    for (const d of this.runDisposables.splice(0)) d.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
