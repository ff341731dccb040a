import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { expandVariables, joinArgs, parseSettings, splitArgs, type Settings } from "../../src/extension/settings";

const from = (o: Record<string, unknown>) => (k: keyof Settings) => o[k];

describe("extension settings", () => {
  it("falls back to safe defaults for missing or mistyped values", () => {
    const s = parseSettings(from({ pythonPath: 3, args: "a b", env: ["x"], tracemalloc: "yes", sampleIntervalMs: -5, maxProcesses: "8" }));
    assert.deepEqual(s, { pythonPath: "", nodePath: "", sampleIntervalMs: undefined, args: [], cwd: "", env: {}, tracemalloc: false, maxProcesses: undefined });
  });

  it("keeps valid values, trims paths, stringifies env scalars and drops nested env values", () => {
    const s = parseSettings(
      from({ pythonPath: " /usr/bin/python3 ", sampleIntervalMs: 50.7, args: ["--n", 3, "x"], cwd: "${workspaceFolder}/sub", env: { A: "1", B: 2, C: true, D: { no: 1 } }, tracemalloc: true, maxProcesses: 16 }),
    );
    assert.deepEqual(s, {
      pythonPath: "/usr/bin/python3",
      nodePath: "",
      sampleIntervalMs: 50,
      args: ["--n", "x"],
      cwd: "${workspaceFolder}/sub",
      env: { A: "1", B: "2", C: "true" },
      tracemalloc: true,
      maxProcesses: 16,
    });
  });

  it("expands launch.json-style variables and leaves unknown ones alone", () => {
    const v = { workspaceFolder: "/ws", fileDirname: "/ws/src", userHome: "/home/u", env: { DATA: "/data" } };
    assert.equal(expandVariables("${workspaceFolder}/out", v), "/ws/out");
    assert.equal(expandVariables("${fileDirname}:${userHome}:${env:DATA}:${env:NOPE}", v), "/ws/src:/home/u:/data:");
    assert.equal(expandVariables("${workspaceRoot}/x", v), "${workspaceRoot}/x");
  });

  it("splits argument lines like a shell and round-trips through joinArgs", () => {
    assert.deepEqual(splitArgs(""), []);
    assert.deepEqual(splitArgs("  --n 4   --name 'two words' \"say \\\"hi\\\"\" a\\ b ''"), ["--n", "4", "--name", "two words", 'say "hi"', "a b", ""]);
    for (const args of [["--n", "4"], ["two words", "it's", "", "$HOME", 'q"uote']]) {
      assert.deepEqual(splitArgs(joinArgs(args)), args);
    }
  });
});
