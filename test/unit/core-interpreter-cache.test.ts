import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultCacheFile, interpreterKey, lookupInterpreter, rememberInterpreter, whichFile } from "../../src/core/interpreterCache";
import { resolvePython } from "../../src/core/python";

function dir(): string {
  return mkdtempSync(join(tmpdir(), "wmprof-icache-"));
}

/** A native executable that is not Python (a copy of /bin/true: it prints nothing). */
function fakeBinary(d: string, name = "python3"): string {
  const p = join(d, name);
  copyFileSync("/bin/true", p);
  chmodSync(p, 0o755);
  return p;
}

test("the key follows the file: a replaced binary (new mtime) gets a new key; scripts and missing files get none", () => {
  const d = dir();
  const bin = fakeBinary(d);
  const k1 = interpreterKey(bin);
  assert.ok(k1);
  assert.equal(interpreterKey(bin), k1);
  utimesSync(bin, new Date(), new Date(Date.now() + 5000));
  assert.notEqual(interpreterKey(bin), k1);
  const shim = join(d, "shim");
  writeFileSync(shim, "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n", { mode: 0o755 });
  assert.equal(interpreterKey(shim), null, "a #! script (pyenv shim) answers per folder and environment");
  assert.equal(interpreterKey(join(d, "missing")), null);
});

test("a command is looked up on the PATH it will run with", () => {
  const d = dir();
  const bin = fakeBinary(d, "mypython");
  assert.equal(whichFile("mypython", { PATH: `/nonexistent:${d}` }), bin);
  assert.equal(whichFile("mypython", { PATH: "/nonexistent" }), null);
  assert.equal(whichFile("./mypython", {}, d), bin);
  const k = interpreterKey("mypython", { PATH: d });
  assert.ok(k?.startsWith(bin + "\u0000"));
});

test("an accepted interpreter is not asked again: resolvePython answers from the cache", async () => {
  const d = dir();
  const cacheFile = join(d, "cache", "wmprof", "interpreters.json");
  const bin = fakeBinary(d);
  const key = interpreterKey(bin)!;
  // /bin/true is no Python: asking it would fail. The remembered answer is used instead.
  rememberInterpreter(key, { executable: bin, version: "3.12.1" }, cacheFile);
  assert.equal(statSync(cacheFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(d, "cache", "wmprof")).mode & 0o777, 0o700);
  assert.deepEqual(await resolvePython([bin], undefined, { cacheFile }), { executable: bin, version: "3.12.1" });
  // the binary changes: asked again, and rejected
  utimesSync(bin, new Date(), new Date(Date.now() + 5000));
  await assert.rejects(resolvePython([bin], undefined, { cacheFile }), /is not a Python interpreter/);
  // cacheFile null: always asked
  utimesSync(bin, new Date(), new Date(Date.now() - 5000));
  rememberInterpreter(interpreterKey(bin)!, { executable: bin, version: "3.12.1" }, cacheFile);
  await assert.rejects(resolvePython([bin], undefined, { cacheFile: null }), /is not a Python interpreter/);
});

test("a real interpreter is remembered after its first answer; a rejected one is not", { skip: !existsSync("/usr/bin/python3") && "no /usr/bin/python3" }, async () => {
  const d = dir();
  const cacheFile = join(d, "interpreters.json");
  const first = await resolvePython(["/nonexistent/python3", "/usr/bin/python3"], undefined, { cacheFile });
  assert.match(first.version, /^3\.\d+\.\d+$/);
  const entries = Object.keys((JSON.parse(readFileSync(cacheFile, "utf8")) as { entries: object }).entries);
  assert.equal(entries.length, 1);
  assert.ok(entries[0]!.startsWith("/usr/bin/python3\u0000"));
  assert.deepEqual(lookupInterpreter(interpreterKey("/usr/bin/python3")!, cacheFile), first);
  assert.deepEqual(await resolvePython(["/usr/bin/python3"], undefined, { cacheFile }), first);
});

test("a corrupt or unwritable cache only means asking again", async () => {
  const d = dir();
  const cacheFile = join(d, "interpreters.json");
  writeFileSync(cacheFile, "{not json");
  const bin = fakeBinary(d);
  assert.equal(lookupInterpreter(interpreterKey(bin)!, cacheFile), null);
  rememberInterpreter(interpreterKey(bin)!, { executable: bin, version: "3.9.0" }, cacheFile);
  assert.equal(lookupInterpreter(interpreterKey(bin)!, cacheFile)?.version, "3.9.0");
  const blocked = join(d, "file-not-dir");
  writeFileSync(blocked, "");
  rememberInterpreter("k", { executable: bin, version: "3.9.0" }, join(blocked, "sub", "interpreters.json")); // no throw
  assert.equal(lookupInterpreter("k", join(blocked, "sub", "interpreters.json")), null);
});

test("the cache lives in XDG_CACHE_HOME, else ~/.cache", () => {
  assert.equal(defaultCacheFile({ XDG_CACHE_HOME: "/x/cache", HOME: "/h" }), "/x/cache/wmprof/interpreters.json");
  assert.equal(defaultCacheFile({ XDG_CACHE_HOME: "relative", HOME: "/h" }), "/h/.cache/wmprof/interpreters.json");
  assert.equal(defaultCacheFile({ HOME: "/h" }), "/h/.cache/wmprof/interpreters.json");
});
