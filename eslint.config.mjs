import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".vscode-test/**", "media/**", "harness/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Scripts (bench, build, test setup) run in Node.
    files: ["**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The core must stay usable by the CLI and the HTML report: no VS Code API.
    files: ["src/core/**/*.ts", "src/protocol/**/*.ts", "src/cli/**/*.ts", "src/webview/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { paths: ["vscode"] }] },
  },
);
