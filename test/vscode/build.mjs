// Bundles the extension-host suite to out/test/vscode/*.js (vscode and mocha stay external).
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entries = readdirSync(here).filter((f) => f.endsWith(".test.ts") || f === "index.ts").map((f) => join(here, f));
await esbuild.build({
  entryPoints: entries,
  outdir: join(here, "../../out/test/vscode"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  external: ["vscode", "mocha"],
  logLevel: "warning",
});
