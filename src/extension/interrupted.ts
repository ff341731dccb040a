/**
 * After the extension host died mid-run (its watchdog ended the script and marked the run folder),
 * offer what was measured: one notification for the newest interrupted run in this workspace.
 */
import { basename } from "node:path";
import * as vscode from "vscode";
import type { Profile } from "../protocol/profile";
import { interruptedRuns, markRecovered } from "../core/interruptedRuns";
import { recoverProfile } from "../core/recover";
import { removeRunDir } from "../core/runDir";

const OPEN = "Open Recovered Profile";
const DISCARD = "Discard";

export async function offerInterruptedRuns(show: (p: Profile) => void): Promise<void> {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const mine = interruptedRuns().filter((r) => folders.length === 0 || folders.some((f) => r.info.cwd === f || r.info.cwd.startsWith(f + "/")));
  const run = mine[0];
  if (!run) return;
  const script = basename(run.info.command[0] === "-m" ? (run.info.command[1] ?? "") : (run.info.command[0] ?? ""));
  const when = new Date(run.info.startedAtMs).toLocaleTimeString();
  const pick = await vscode.window.showWarningMessage(
    `Worker Memory: the profile of ${script} (started ${when}) was interrupted when the extension host stopped; the script was ended. What it measured is kept.`,
    OPEN,
    DISCARD,
  );
  if (pick === OPEN) {
    try {
      show(recoverProfile(run.dir));
      markRecovered(run.dir);
    } catch (err) {
      void vscode.window.showErrorMessage(`Worker Memory: cannot recover ${run.dir}: ${(err as Error).message}`);
    }
  } else if (pick === DISCARD) {
    removeRunDir(run.dir);
  }
}
