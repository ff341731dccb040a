/**
 * Every command, registered by one function (after usernamehw/vscode-error-lens `src/commands.ts`).
 * The ids live in one enum in commandIds.ts.
 */
import { basename, dirname, extname, join } from "node:path";
import * as vscode from "vscode";
import { describeError } from "../core/errors";
import { readProfileFile, writeProfileFile } from "../core/profileFile";
import type { Profile } from "../protocol/profile";
import type { Config } from "./config";
import type { EditorHints } from "./hints";
import type { Launcher } from "./launcher";
import { CommandId } from "./commandIds";
import { expandVariables, joinArgs, splitArgs } from "./settings";


/** Everything the commands need; built once in activate(). */
export interface CommandDeps {
  config: Config;
  launcher: Launcher;
  hints: EditorHints;
  /** The profile shown last (run, opened or live), for Export. */
  lastProfile(): Profile | undefined;
  /** Shows a finished or saved profile in the panel (and its hints). */
  showProfile(profile: Profile, source: vscode.Uri | undefined): void;
  showComparison(profiles: Profile[], labels: string[]): void;
}

const PROFILE_FILTERS = { "Worker Memory profile": ["json"] };

export function registerCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  const commands: Record<CommandId, (...args: never[]) => unknown> = {
    [CommandId.ProfileCurrentFile]: (uri?: vscode.Uri) => profileCurrentFile(deps, uri),
    [CommandId.ProfileFile]: (uri?: vscode.Uri, args?: string[]) => profileFile(deps, uri, args),
    [CommandId.Stop]: () => deps.launcher.stop(),
    [CommandId.OpenProfile]: (uri?: vscode.Uri) => openProfile(deps, uri),
    [CommandId.ExportProfile]: (uri?: vscode.Uri) => exportProfile(deps, uri),
    [CommandId.CompareProfiles]: (uris?: vscode.Uri[]) => compareProfiles(deps, uris),
    [CommandId.ClearHints]: () => deps.hints.clear(),
  };
  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown));
  }
}

/** Profiling runs the user's script: refuse in an untrusted workspace, and say why. */
async function ensureTrusted(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = "Manage Workspace Trust";
  const pick = await vscode.window.showWarningMessage(
    "Worker Memory Profiler runs the script to profile it, and this workspace is in Restricted Mode. Trust the workspace to profile scripts; saved profiles can still be opened and compared.",
    manage,
  );
  if (pick === manage) await vscode.commands.executeCommand("workbench.trust.manage");
  return false;
}

async function profileCurrentFile(deps: CommandDeps, uri: vscode.Uri | undefined): Promise<Profile | undefined> {
  if (!(await ensureTrusted())) return undefined;
  // From the editor title or explorer menu the file comes as an argument; from the palette, the active editor.
  let doc: vscode.TextDocument | undefined;
  if (uri instanceof vscode.Uri) {
    const wanted = uri.toString();
    doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === wanted);
  } else {
    doc = vscode.window.activeTextEditor?.document;
    uri = doc?.uri;
  }
  if (!uri) {
    void vscode.window.showInformationMessage("Worker Memory: open a Python script first, or use “Profile File…” to pick one.");
    return undefined;
  }
  if (doc?.isUntitled) {
    if (!(await doc.save())) return undefined;
    uri = doc.uri;
  } else if (doc?.isDirty) {
    await doc.save();
  }
  if (uri.scheme !== "file") {
    void vscode.window.showErrorMessage(`Worker Memory: ${uri.toString()} is not a file on disk; only local scripts can be profiled.`);
    return undefined;
  }
  if (!isProfilableFile(uri, doc)) {
    void vscode.window.showErrorMessage(`Worker Memory: ${basename(uri.fsPath)} is not a Python or Node.js script.`);
    return undefined;
  }
  return launch(deps, uri, deps.config.settings.args);
}

async function profileFile(deps: CommandDeps, uri: vscode.Uri | undefined, args: string[] | undefined): Promise<Profile | undefined> {
  if (!(await ensureTrusted())) return undefined;
  if (!(uri instanceof vscode.Uri)) {
    const picked = await vscode.window.showOpenDialog({
      title: "Profile Python Script",
      openLabel: "Profile",
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: { "Python scripts": ["py", "pyw"], "All files": ["*"] },
    });
    uri = picked?.[0];
    if (!uri) return undefined;
  }
  if (!Array.isArray(args)) {
    const line = await vscode.window.showInputBox({
      title: `Arguments for ${basename(uri.fsPath)}`,
      prompt: "Command-line arguments, as in a shell (quotes group words). Leave empty for none.",
      value: joinArgs(deps.config.settings.args),
      ignoreFocusOut: true,
    });
    if (line === undefined) return undefined;
    args = splitArgs(line);
  }
  return launch(deps, uri, args);
}

/** Python scripts, and Node.js entry points (the second runtime). */
function isProfilableFile(uri: vscode.Uri, doc: vscode.TextDocument | undefined): boolean {
  if (doc?.languageId === "python") return true;
  return [".py", ".pyw", ".js", ".mjs", ".cjs"].includes(extname(uri.fsPath).toLowerCase());
}

function launch(deps: CommandDeps, uri: vscode.Uri, args: string[]): Promise<Profile | undefined> {
  const settings = deps.config.settings;
  const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
  const fileDirname = dirname(uri.fsPath);
  const cwd = settings.cwd
    ? expandVariables(settings.cwd, { workspaceFolder: folder ?? fileDirname, fileDirname, userHome: process.env.HOME, env: process.env })
    : (folder ?? fileDirname);
  deps.hints.clear();
  return deps.launcher.run({ script: uri.fsPath, args, cwd, settings, resource: uri });
}

async function pickProfiles(title: string, many: boolean): Promise<vscode.Uri[] | undefined> {
  return vscode.window.showOpenDialog({
    title,
    openLabel: many ? "Compare" : "Open",
    canSelectMany: many,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: PROFILE_FILTERS,
  });
}

/** Reads a saved profile; a corrupt or foreign file is reported with its name, and yields undefined. */
function readProfile(uri: vscode.Uri): Profile | undefined {
  try {
    return readProfileFile(uri.fsPath);
  } catch (err) {
    void vscode.window.showErrorMessage(`Worker Memory: ${describeError(err)}`);
    return undefined;
  }
}

async function openProfile(deps: CommandDeps, uri: vscode.Uri | undefined): Promise<Profile | undefined> {
  if (!(uri instanceof vscode.Uri)) uri = (await pickProfiles("Open Worker Memory Profile", false))?.[0];
  if (!uri) return undefined;
  const profile = readProfile(uri);
  if (profile) deps.showProfile(profile, uri);
  return profile;
}

async function exportProfile(deps: CommandDeps, uri: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  const profile = deps.lastProfile();
  if (!profile) {
    void vscode.window.showInformationMessage("Worker Memory: there is no profile to export yet. Profile a script or open a saved profile first.");
    return undefined;
  }
  if (!(uri instanceof vscode.Uri)) {
    const script = profile.command[0] === "-m" ? profile.command[1] : profile.command[0];
    // The CLI's default name for the same profile (src/cli/main.ts): wmprof-<script>.json.
    const stem = (script ? basename(script).replace(/\.[^.]*$/, "") : "").replace(/[^\w.-]+/g, "_") || "profile";
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? profile.cwd;
    uri = await vscode.window.showSaveDialog({
      title: "Export Worker Memory Profile",
      saveLabel: "Export",
      defaultUri: vscode.Uri.file(join(folder, `wmprof-${stem}.json`)),
      filters: PROFILE_FILTERS,
    });
    if (!uri) return undefined;
  }
  try {
    writeProfileFile(uri.fsPath, profile);
  } catch (err) {
    void vscode.window.showErrorMessage(`Worker Memory: cannot write ${uri.fsPath}: ${describeError(err)}`);
    return undefined;
  }
  void vscode.window.showInformationMessage(`Worker Memory: profile exported to ${vscode.workspace.asRelativePath(uri)}.`);
  return uri;
}

async function compareProfiles(deps: CommandDeps, uris: vscode.Uri[] | undefined): Promise<Profile[] | undefined> {
  if (!Array.isArray(uris)) uris = await pickProfiles("Compare Worker Memory Profiles (pick two or more)", true);
  if (!uris || uris.length === 0) return undefined;
  if (uris.length < 2) {
    void vscode.window.showInformationMessage("Worker Memory: pick at least two profiles to compare (hold Ctrl or Shift in the file dialog).");
    return undefined;
  }
  const profiles: Profile[] = [];
  for (const u of uris) {
    const p = readProfile(u);
    if (!p) return undefined;
    profiles.push(p);
  }
  deps.showComparison(profiles, uris.map((u) => basename(u.fsPath)));
  return profiles;
}
