/**
 * Thin VS Code glue: builds the config, output channel, launcher, editor hints and panel wiring
 * once, and registers every command. All profiling logic lives in src/core (shared with the CLI).
 */
import * as vscode from "vscode";
import type { Profile } from "../protocol/profile";
import { registerCommands } from "./commands";
import { CommandId } from "./commandIds";
import { Config } from "./config";
import { EditorHints } from "./hints";
import { offerInterruptedRuns } from "./interrupted";
import { Launcher, RUNNING_CONTEXT_KEY } from "./launcher";
import { ProfilePanel, registerProfilePanelSerializer } from "./panel";

let launcher: Launcher | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const config = new Config();
  const output = vscode.window.createOutputChannel("Worker Memory");
  const hints = new EditorHints();
  let lastProfile: Profile | undefined;

  const panel = (): ProfilePanel => ProfilePanel.createOrShow(context.extensionUri);

  launcher = new Launcher(
    output,
    {
      started: () => {
        panel();
      },
      live: (profile) => {
        // Only update a panel that is open: closing it during a run is the user's choice.
        ProfilePanel.current?.showProfile(profile, { live: true });
        hints.show(profile);
      },
      finished: (profile) => {
        lastProfile = profile;
        hints.show(profile);
        if (ProfilePanel.current) {
          ProfilePanel.current.showProfile(profile, { live: false });
        } else {
          void vscode.window.showInformationMessage("Worker Memory: the profile is ready.", "Show Profile").then((pick) => {
            if (pick) panel().showProfile(profile, { live: false });
          });
        }
      },
    },
    CommandId.Stop,
  );

  const showProfile = (profile: Profile): void => {
    lastProfile = profile;
    panel().showProfile(profile, { live: false });
    hints.show(profile);
  };
  registerCommands(context, {
    config,
    launcher,
    hints,
    lastProfile: () => lastProfile,
    showProfile,
    showComparison: (profiles) => {
      panel().showComparison(profiles);
    },
  });

  context.subscriptions.push(
    config,
    output,
    hints,
    launcher,
    registerProfilePanelSerializer(context),
    ProfilePanel.onDidRequestStop(() => void launcher?.stop()),
    ProfilePanel.onDidRequestOpenSite(({ file, line }) => void openSite(file, line)),
  );
  void vscode.commands.executeCommand("setContext", RUNNING_CONTEXT_KEY, false);
  if (vscode.workspace.isTrusted) void offerInterruptedRuns(showProfile);
}

/** Opens a call site from the panel, beside the panel, with the line selected. */
async function openSite(file: string, line: number): Promise<void> {
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const pos = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
  } catch {
    void vscode.window.showWarningMessage(`Worker Memory: cannot open ${file}:${line} (the file is not on this machine any more).`);
  }
}

/** Ends a running script's whole process tree when the window closes or the extension is disabled. */
export async function deactivate(): Promise<void> {
  await launcher?.shutdown();
  launcher = undefined;
}
