/**
 * Remembers what an interpreter binary said about itself, so that a run does not start Python
 * twice (a version probe costs one more interpreter start-up, ~15 ms, before the script can
 * begin).
 *
 * An answer is kept only for a native executable (not a `#!` script such as a pyenv shim, whose
 * answer depends on the working folder and the environment), keyed by the path asked for and the
 * identity of the file it resolves to: device, inode, size and modification time. Replacing or
 * upgrading the binary changes the key. Only accepted interpreters are kept; a rejected one is
 * asked again every time, so its error message stays current.
 *
 * The file lives in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, `wmprof/`), created
 * 0700 / 0600 and written atomically. Anything wrong with it (missing, unreadable, corrupt, a
 * folder we cannot write) only means the interpreter is asked again.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";

export interface CachedInterpreter {
  executable: string;
  version: string;
}

interface CacheFile {
  v: 1;
  entries: Record<string, CachedInterpreter & { at: number }>;
}

/** Entries kept (the least recently written go first). */
const MAX_ENTRIES = 32;

export function defaultCacheFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "wmprof", "interpreters.json");
  const home = env.HOME || safeHomedir();
  return home ? join(home, ".cache", "wmprof", "interpreters.json") : null;
}

function safeHomedir(): string | null {
  try {
    return homedir() || null;
  } catch {
    return null;
  }
}

/** The file a command names: a path as given (relative to cwd), or the first executable match on PATH. */
export function whichFile(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  if (command.includes("/")) return resolve(cwd, command);
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(resolve(cwd, dir), command);
    try {
      const st = statSync(p);
      if (st.isFile() && (st.mode & 0o111) !== 0) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** The cache key of a command, or null when its answer must not be cached (script, missing file). */
export function interpreterKey(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  const path = whichFile(command, env, cwd);
  if (!path) return null;
  try {
    const real = realpathSync(path);
    const st = statSync(real);
    if (!st.isFile() || isScript(real)) return null;
    return `${path}\u0000${real}\u0000${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

function isScript(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x23 && head[1] === 0x21; // "#!"
  } finally {
    closeSync(fd);
  }
}

function readCache(file: string): CacheFile {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as CacheFile;
    if (parsed && parsed.v === 1 && parsed.entries && typeof parsed.entries === "object") return parsed;
  } catch {
    // missing or corrupt: start afresh
  }
  return { v: 1, entries: {} };
}

export function lookupInterpreter(key: string, file: string | null): CachedInterpreter | null {
  if (!file) return null;
  const e = readCache(file).entries[key];
  return e && typeof e.executable === "string" && typeof e.version === "string" ? { executable: e.executable, version: e.version } : null;
}

export function rememberInterpreter(key: string, info: CachedInterpreter, file: string | null): void {
  if (!file) return;
  try {
    const dir = join(file, "..");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const cache = readCache(file);
    cache.entries[key] = { executable: info.executable, version: info.version, at: Date.now() };
    const keys = Object.keys(cache.entries);
    if (keys.length > MAX_ENTRIES) {
      keys.sort((a, b) => cache.entries[a]!.at - cache.entries[b]!.at);
      for (const k of keys.slice(0, keys.length - MAX_ENTRIES)) delete cache.entries[k];
    }
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(cache), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only home: the interpreter is asked again next time
  }
}
