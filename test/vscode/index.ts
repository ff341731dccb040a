// Mocha entry for runners that load a tests module (`extensionTestsPath`) instead of
// @vscode/test-cli's globbing: code-server's extension host, see run-in-code-server.ts.
// With WMPROF_MOCHA_LOG set, the spec reporter's lines also go to that file, because the
// web workbench only forwards the extension host's console in a mangled form.
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { format } from "node:util";
import Mocha from "mocha";

export function run(): Promise<void> {
  const log = process.env.WMPROF_MOCHA_LOG;
  if (log) {
    const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
    const original = base.consoleLog;
    base.consoleLog = (...args: unknown[]) => {
      appendFileSync(log, format(...args) + "\n");
      original(...args);
    };
  }
  const mocha = new Mocha({ ui: "bdd", color: false, timeout: 180_000, reporter: "spec" });
  for (const f of readdirSync(__dirname).sort()) if (f.endsWith(".test.js")) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
