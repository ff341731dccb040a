/**
 * Editor hints: an end-of-line decoration at every call site that copied bytes
 * ("⇄ 95.4 MB pickled · 400 puts · queue"), and findings as diagnostics in the Problems panel.
 * Shown live and after a run; cleared by the next run or `Clear Hints`.
 */
import { normalize } from "node:path";
import * as vscode from "vscode";
import type { Profile, Severity } from "../protocol/profile";
import { findingLocations, lineHints, type LineHint } from "./hintModel";

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  info: vscode.DiagnosticSeverity.Information,
  warning: vscode.DiagnosticSeverity.Warning,
  error: vscode.DiagnosticSeverity.Error,
};

export class EditorHints implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      margin: "0 0 0 2em",
      color: new vscode.ThemeColor("editorCodeLens.foreground"),
      fontStyle: "italic",
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("workerMemory");
  /** Normalized absolute path → hints in that file. */
  private byFile = new Map<string, LineHint[]>();
  /** Text of the last applied hints, so that live updates that change nothing cost nothing. */
  private lastKey = "";
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.decoration,
      this.diagnostics,
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.apply(e))),
    );
  }

  /** Shows the hints of `profile` (live or final), replacing any previous ones. */
  show(profile: Profile): void {
    const hints = lineHints(profile);
    const key = JSON.stringify(hints.map((h) => [h.file, h.line, h.text])) + JSON.stringify(profile.findings);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.byFile = new Map();
    for (const h of hints) {
      const k = normalize(h.file);
      const list = this.byFile.get(k) ?? [];
      list.push(h);
      this.byFile.set(k, list);
    }
    this.diagnostics.clear();
    const diags = new Map<string, vscode.Diagnostic[]>();
    for (const f of findingLocations(profile)) {
      const line = f.line - 1;
      const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), f.message, SEVERITY[f.severity]);
      d.source = "Worker Memory";
      d.code = f.rule;
      const k = normalize(f.file);
      diags.set(k, [...(diags.get(k) ?? []), d]);
    }
    for (const [file, list] of diags) this.diagnostics.set(vscode.Uri.file(file), list);
    vscode.window.visibleTextEditors.forEach((e) => this.apply(e));
  }

  clear(): void {
    this.byFile = new Map();
    this.lastKey = "";
    this.diagnostics.clear();
    vscode.window.visibleTextEditors.forEach((e) => e.setDecorations(this.decoration, []));
  }

  /** Number of files with hints (for tests and the Clear Hints message). */
  get fileCount(): number {
    return this.byFile.size;
  }

  private apply(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme !== "file") return;
    const hints = this.byFile.get(normalize(editor.document.uri.fsPath)) ?? [];
    const lines = editor.document.lineCount;
    const options: vscode.DecorationOptions[] = [];
    for (const h of hints) {
      const line = h.line - 1;
      if (line < 0 || line >= lines) continue;
      const end = editor.document.lineAt(line).range.end;
      const hover = new vscode.MarkdownString(`**Worker Memory** — bytes copied between processes at this line\n\n${h.detail.map((d) => `- ${d}`).join("\n")}`);
      options.push({ range: new vscode.Range(end, end), hoverMessage: hover, renderOptions: { after: { contentText: h.text } } });
    }
    editor.setDecorations(this.decoration, options);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
