/** The one typed config object, re-read only when `affectsConfiguration` says a setting changed. */
import * as vscode from "vscode";
import { CONFIG_SECTION, parseSettings, type Settings } from "./settings";

export class Config implements vscode.Disposable {
  private current: Settings;
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.current = Config.read();
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(CONFIG_SECTION)) this.current = Config.read();
    });
  }

  get settings(): Readonly<Settings> {
    return this.current;
  }

  /** Opens the Settings UI on one of our settings (the button behind "no interpreter" errors). */
  static openSetting(key: keyof Settings): Thenable<unknown> {
    return vscode.commands.executeCommand("workbench.action.openSettings", `${CONFIG_SECTION}.${key}`);
  }

  private static read(): Settings {
    const c = vscode.workspace.getConfiguration(CONFIG_SECTION);
    return parseSettings((key) => c.get(key));
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
