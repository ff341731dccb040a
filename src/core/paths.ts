/** Locates files shipped next to the bundles (harness, media), from dist/ or from src/ under tsx. */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { WmprofError } from "./errors";

let cachedRoot: string | undefined;

/** The folder that holds harness/ and dist/ (the repository root or the installed extension). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "harness", "python", "wmprof_run.py"))) return (cachedRoot = dir);
    dir = dirname(dir);
  }
  throw new WmprofError("wmprof is installed incompletely: harness/python/wmprof_run.py not found next to it.");
}

export const pythonHarnessDir = (): string => join(packageRoot(), "harness", "python");
export const pythonRunner = (): string => join(pythonHarnessDir(), "wmprof_run.py");
export const nodePreload = (): string => join(packageRoot(), "harness", "node", "preload.js");
