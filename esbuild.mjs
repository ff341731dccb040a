// One esbuild context per bundle: the CLI and extension run in Node, the webview in a browser.
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** @type {import("esbuild").BuildOptions[]} */
const bundles = [
  { entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", platform: "node", format: "cjs",
    banner: { js: "#!/usr/bin/env node" } },
  { entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js", platform: "node", format: "cjs",
    external: ["vscode"] },
  { entryPoints: ["src/core/watchdogMain.ts"], outfile: "dist/watchdog.js", platform: "node", format: "cjs" },
  { entryPoints: ["src/webview/main.ts"], outfile: "dist/webview.js", platform: "browser", format: "iife" },
];

import { existsSync } from "node:fs";
const present = bundles.filter((b) => existsSync(b.entryPoints[0]));
const common = { bundle: true, target: "node20", sourcemap: !production, minify: production, logLevel: "warning" };
const contexts = await Promise.all(present.map((b) => esbuild.context({ ...common, ...b,
  target: b.platform === "browser" ? "chrome114" : "node20" })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
