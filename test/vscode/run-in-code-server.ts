// Runs the extension-host suite (test/vscode) inside code-server's extension host, offline:
// code-server is started with this folder as the development extension and out/test/vscode/index
// as the tests module (VS Code web's `payload` URL parameter), Chromium loads the workbench, and
// the workbench reports the result through window.codeAutomationExit.
//   node --import tsx test/vscode/run-in-code-server.ts   (after test/e2e/setup.mjs and the builds)
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CODE_SERVER_BIN, ROOT, Workbench } from "../e2e/rig";

async function main(): Promise<number> {
  const wb = new Workbench("vscode-suite");
  const folder = mkdtempSync(join(tmpdir(), "wmprof-vscode-ws-"));
  const log = join(folder, "mocha.log");
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  try {
    await wb.start(folder, {
      disableTrust: true,
      installVsix: false,
      env: { WMPROF_MOCHA_LOG: log },
      remotePayload: [
        ["extensionDevelopmentPath", ROOT],
        ["extensionTestsPath", join(ROOT, "out", "test", "vscode", "index")],
      ],
      beforeLoad: async (page) => {
        await page.exposeFunction("codeAutomationExit", (code: number) => resolveExit(code));
      },
    });
    // A generous cap so a hung extension host fails the run instead of blocking CI forever.
    const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(124), 30 * 60_000))]);
    if (code === 124) console.error("the extension-host suite did not finish within 30 minutes");
    if (existsSync(log)) process.stdout.write(readFileSync(log, "utf8"));
    else console.error("the extension host wrote no test log (did the tests module load?)");
    return code;
  } catch (e) {
    console.error(`extension-host suite in code-server (${CODE_SERVER_BIN}) failed to run: ${(e as Error).message}`);
    console.error(wb.log.split("\n").slice(-30).join("\n"));
    return 1;
  } finally {
    await wb.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
