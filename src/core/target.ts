/** Checks the target before anything starts, so bad input gets one clear line, not a traceback. */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { WmprofError } from "./errors";

export type Target = { kind: "script"; path: string } | { kind: "module"; name: string };

const PY_EXT = new Set([".py", ".pyw", ".pyz"]);
const NODE_EXT = new Set([".js", ".mjs", ".cjs"]);

/** Returns the target with an absolute script path, or throws a WmprofError. */
export function checkTarget(target: Target, cwd: string): Target {
  if (target.kind === "module") {
    if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(target.name)) {
      throw new WmprofError(`"${target.name}" is not a valid Python module name.`);
    }
    return target;
  }
  const path = resolve(cwd, target.path);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new WmprofError(`Script not found: ${path}`);
  }
  if (st.isDirectory()) {
    if (existsSync(join(path, "__main__.py"))) return { kind: "script", path };
    throw new WmprofError(`${path} is a directory without __main__.py; pass a Python script.`);
  }
  const head = readHead(path);
  if (head.includes(0)) throw new WmprofError(`${path} is a binary file, not a Python script.`);
  const ext = extname(path).toLowerCase();
  if (NODE_EXT.has(ext)) return { kind: "script", path };
  if (!PY_EXT.has(ext)) {
    const firstLine = head.toString("utf8").split("\n", 1)[0] ?? "";
    if (firstLine.startsWith("#!") && !/python/.test(firstLine)) {
      throw new WmprofError(`${path} is not a Python script (its first line is ${JSON.stringify(firstLine.slice(0, 80))}).`);
    }
  }
  return { kind: "script", path };
}

export function isNodeTarget(target: Target): boolean {
  return target.kind === "script" && NODE_EXT.has(extname(target.path).toLowerCase());
}

function readHead(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WmprofError(`Cannot read ${path}: ${code === "EACCES" ? "permission denied" : code ?? "unknown error"}.`);
  }
  try {
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
