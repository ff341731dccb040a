/** Finds a usable Python 3.8+ interpreter by asking it, never by `which` (a binary's answer is remembered: interpreterCache). */
import { spawn } from "node:child_process";
import { WmprofError } from "./errors";
import { defaultCacheFile, interpreterKey, lookupInterpreter, rememberInterpreter } from "./interpreterCache";

export interface PythonInfo {
  executable: string;
  version: string;
}

export const MIN_PYTHON: [number, number] = [3, 8];

// Valid in Python 2 and 3 alike, so that we can say "Python 2 is not supported" instead of a SyntaxError.
const PROBE = "import sys; sys.stdout.write('%d.%d.%d|%s' % (sys.version_info[0], sys.version_info[1], sys.version_info[2], sys.executable))";

type Probe = { ok: true; info: PythonInfo } | { ok: false; reason: string };

function probe(candidate: string, env?: NodeJS.ProcessEnv): Promise<Probe> {
  return new Promise((resolve) => {
    let out = "";
    let child;
    try {
      child = spawn(candidate, ["-c", PROBE], { stdio: ["ignore", "pipe", "ignore"], env: env ?? process.env });
    } catch (e) {
      resolve({ ok: false, reason: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: e.code === "ENOENT" ? "not found" : e.code === "EACCES" ? "not executable" : e.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const m = /^(\d+)\.(\d+)\.(\d+)\|(.*)$/s.exec(out);
      if (code !== 0 || !m) {
        resolve({ ok: false, reason: "is not a Python interpreter" });
        return;
      }
      const [major, minor] = [Number(m[1]), Number(m[2])];
      const version = `${m[1]}.${m[2]}.${m[3]}`;
      if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
        resolve({ ok: false, reason: `is Python ${version}; wmprof needs Python ${MIN_PYTHON.join(".")} or newer` });
        return;
      }
      resolve({ ok: true, info: { executable: m[4] || candidate, version } });
    });
  });
}

/**
 * Tries each candidate (a path or a command on PATH) in order and returns the first Python 3.8+.
 * The error names every candidate and why it was rejected. An interpreter binary accepted before
 * is not asked again (see interpreterCache); `cacheFile: null` always asks.
 */
export async function resolvePython(
  candidates: string[],
  env?: NodeJS.ProcessEnv,
  opts: { cacheFile?: string | null } = {},
): Promise<PythonInfo> {
  const cacheFile = opts.cacheFile === undefined ? defaultCacheFile() : opts.cacheFile;
  const reasons: string[] = [];
  for (const c of candidates) {
    const key = cacheFile ? interpreterKey(c, env ?? process.env) : null;
    const known = key ? lookupInterpreter(key, cacheFile) : null;
    if (known) return known;
    const r = await probe(c, env);
    if (r.ok) {
      if (key) rememberInterpreter(key, r.info, cacheFile);
      return r.info;
    }
    reasons.push(`${c} ${r.reason}`);
  }
  const tried = reasons.join("; ");
  throw new WmprofError(`No Python 3.8+ interpreter found (${tried}).`);
}

export const DEFAULT_PYTHON_CANDIDATES = ["python3", "python"];
