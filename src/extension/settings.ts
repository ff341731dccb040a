/**
 * The `workerMemory.*` settings as one typed, validated object. Pure (no `vscode` import) so that
 * the parsing is unit-tested; `config.ts` feeds it from the workspace configuration.
 */

export const CONFIG_SECTION = "workerMemory";

export interface Settings {
  /** Interpreter used when the Python extension is not installed ("" = python3/python on PATH). */
  pythonPath: string;
  /** Node.js for .js/.mjs/.cjs scripts ("" = node on PATH). */
  nodePath: string;
  /** Memory sampling interval in ms; undefined = the core's default. */
  sampleIntervalMs: number | undefined;
  /** Arguments passed to the script by "Profile Current File" (and prefilled by "Profile File…"). */
  args: string[];
  /** Working directory; "" = the script's workspace folder (or its own folder). Supports ${workspaceFolder}, ${fileDirname}. */
  cwd: string;
  /** Extra environment variables for the script. */
  env: Record<string, string>;
  tracemalloc: boolean;
  /** Most processes sampled at once; undefined = the core's default. */
  maxProcesses: number | undefined;
}

/** Reads one raw value per key (vscode's `WorkspaceConfiguration.get`, or a plain object in tests). */
export type RawGet = (key: keyof Settings) => unknown;

function positiveInt(v: unknown, min: number): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v >= min ? Math.floor(v) : undefined;
}

export function parseSettings(get: RawGet): Settings {
  const args = get("args");
  const env = get("env");
  const envOut: Record<string, string> = {};
  if (env && typeof env === "object" && !Array.isArray(env)) {
    for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") envOut[k] = String(v);
    }
  }
  const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  return {
    pythonPath: str(get("pythonPath")),
    nodePath: str(get("nodePath")),
    sampleIntervalMs: positiveInt(get("sampleIntervalMs"), 1),
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : [],
    cwd: str(get("cwd")),
    env: envOut,
    tracemalloc: get("tracemalloc") === true,
    maxProcesses: positiveInt(get("maxProcesses"), 1),
  };
}

/** Expands ${workspaceFolder}, ${fileDirname}, ${userHome} and ${env:NAME} the way launch.json users expect. */
export function expandVariables(
  value: string,
  vars: { workspaceFolder?: string; fileDirname?: string; userHome?: string; env?: Record<string, string | undefined> },
): string {
  return value.replace(/\$\{(workspaceFolder|fileDirname|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) return vars.env?.[envName] ?? "";
    const v = vars[name as "workspaceFolder" | "fileDirname" | "userHome"];
    return v ?? whole;
  });
}

/**
 * Splits an argument line typed into an input box into argv, shell-style: whitespace separates,
 * single quotes are literal, double quotes allow \" and \\, a backslash outside quotes escapes.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inArg = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inArg = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inArg = true;
    } else if (/\s/.test(c)) {
      if (inArg) out.push(cur);
      cur = "";
      inArg = false;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) out.push(cur);
  return out;
}

/** The inverse of splitArgs, for prefilling the input box. */
export function joinArgs(args: string[]): string {
  return args.map((a) => (a !== "" && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(a) ? a : `'${a.replace(/'/g, `'"'"'`)}'`)).join(" ");
}
