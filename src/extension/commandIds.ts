/**
 * Every command id in one enum. Pure (no `vscode` import) so that a unit test can check it against
 * `contributes.commands` in package.json.
 */
export enum CommandId {
  ProfileCurrentFile = "workerMemory.profileCurrentFile",
  ProfileFile = "workerMemory.profileFile",
  Stop = "workerMemory.stop",
  OpenProfile = "workerMemory.openProfile",
  ExportProfile = "workerMemory.exportProfile",
  CompareProfiles = "workerMemory.compareProfiles",
  ClearHints = "workerMemory.clearHints",
}

/** The webview panel's viewType (also in `activationEvents` as onWebviewPanel:…, for restore). */
export const PANEL_VIEW_TYPE = "workerMemory.profile";
