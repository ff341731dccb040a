/** Finds the Node.js that runs a `.js`/`.mjs`/`.cjs` target, by asking it (like resolvePython). */
import { spawn } from "node:child_process";
import { WmprofError } from "./errors";

export interface NodeInfo {
  executable: string;
  version: string;
}

export const DEFAULT_NODE_CANDIDATES = ["node", "nodejs"];

function probe(candidate: string): Promise<NodeInfo | null> {
  return new Promise((resolve) => {
    let out = "";
    const child = spawn(candidate, ["-p", "process.version + '|' + process.execPath"], {
      stdio: ["ignore", "pipe", "ignore"],
      // Never let the profiler's own preload (or the user's NODE_OPTIONS) run inside the probe.
      env: { ...process.env, NODE_OPTIONS: "", ELECTRON_RUN_AS_NODE: "1" },
    });
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", () => resolve(null));
    child.on("close", (code) => {
      const m = /^(v\d+\.\d+\.\d+)\|(.*)$/s.exec(out.trim());
      resolve(code === 0 && m ? { version: m[1]!, executable: m[2]! } : null);
    });
  });
}

export async function resolveNode(candidates: string[]): Promise<NodeInfo> {
  for (const c of candidates) {
    const info = await probe(c);
    if (info) return info;
  }
  throw new WmprofError(`No Node.js found (tried: ${candidates.join(", ")}).`);
}

/** NODE_OPTIONS with our preload first; quoted the way Node's own parser expects. */
export function nodeOptionsWithPreload(preload: string, user: string | undefined): string {
  const q = /[\s"\\]/.test(preload) ? `"${preload.replace(/[\\"]/g, "\\$&")}"` : preload;
  return user ? `--require ${q} ${user}` : `--require ${q}`;
}
