/**
 * Which Python runs the script: the interpreter selected in the Python extension (through its
 * typed API) when that extension is installed, else `workerMemory.pythonPath`, else python3/python
 * on PATH. Every candidate is checked by the core's resolvePython (it asks the interpreter; no `which`).
 */
import * as vscode from "vscode";
import { PythonExtension, PVSC_EXTENSION_ID } from "@vscode/python-extension";
import { DEFAULT_PYTHON_CANDIDATES, resolvePython, type PythonInfo } from "../core/python";
import { WmprofError } from "../core/errors";

export interface InterpreterChoice {
  /** The candidates passed to resolvePython, in order. */
  candidates: string[];
  /** Where the first candidate came from, for error messages. */
  source: "python-extension" | "setting" | "path";
}

/** The Python extension's active interpreter for `resource`, or undefined when it is absent or has none. */
async function pythonExtensionInterpreter(resource: vscode.Uri | undefined): Promise<string | undefined> {
  if (!vscode.extensions.getExtension(PVSC_EXTENSION_ID)) return undefined;
  try {
    const api = await PythonExtension.api();
    const envPath = api.environments.getActiveEnvironmentPath(resource);
    const resolved = await api.environments.resolveEnvironment(envPath);
    return resolved?.executable.uri?.fsPath ?? envPath.path;
  } catch {
    // The extension failed to activate; fall back to our own setting rather than failing the run.
    return undefined;
  }
}

export async function chooseInterpreter(pythonPath: string, resource: vscode.Uri | undefined): Promise<InterpreterChoice> {
  const fromExtension = await pythonExtensionInterpreter(resource);
  if (fromExtension) return { candidates: [fromExtension], source: "python-extension" };
  if (pythonPath) return { candidates: [pythonPath], source: "setting" };
  return { candidates: [...DEFAULT_PYTHON_CANDIDATES], source: "path" };
}

/** Resolves the interpreter; a WmprofError (no usable Python) is shown with buttons that fix it, then rethrown. */
export async function resolveInterpreter(pythonPath: string, resource: vscode.Uri | undefined): Promise<PythonInfo> {
  const choice = await chooseInterpreter(pythonPath, resource);
  try {
    return await resolvePython(choice.candidates);
  } catch (err) {
    if (err instanceof WmprofError) throw new InterpreterError(err.message, choice.source);
    throw err;
  }
}

export class InterpreterError extends WmprofError {
  constructor(message: string, readonly source: InterpreterChoice["source"]) {
    super(message);
    this.name = "InterpreterError";
  }
}

/** Shows the error with the buttons that fix it: the setting, and the Python extension's picker when it is there. */
export async function showInterpreterError(err: InterpreterError): Promise<void> {
  const openSetting = "Open Setting";
  const selectInterpreter = "Select Interpreter";
  const buttons = err.source === "python-extension" ? [selectInterpreter, openSetting] : [openSetting];
  const pick = await vscode.window.showErrorMessage(err.message, ...buttons);
  if (pick === openSetting) await vscode.commands.executeCommand("workbench.action.openSettings", "workerMemory.pythonPath");
  else if (pick === selectInterpreter) await vscode.commands.executeCommand("python.setInterpreter");
}
