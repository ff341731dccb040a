// @vscode/test-cli configuration: `npm run test:vscode` downloads VS Code 1.100.3 (needs network)
// and runs the extension-host suite in test/vscode against this folder as the development extension.
import { defineConfig } from "@vscode/test-cli";

export default defineConfig({
  label: "extension-host",
  files: "out/test/vscode/**/*.test.js",
  version: "1.100.3",
  launchArgs: ["--disable-extensions", "--disable-workspace-trust"],
  mocha: { ui: "bdd", timeout: 180_000 },
});
