/**
 * The Node harness (harness/node/preload.js) in real Node processes: scripts written by the test,
 * run with NODE_OPTIONS=--require preload and WMPROF_RUN_DIR set to a fresh 0700 folder, exactly
 * as the core launches them. Expected numbers come from what the scripts send. The logs are read
 * back here with a small reader (the latest cumulative agg row per pid/tid/site/channel/direction
 * wins), and every line must be accepted by the core's own event parser. No wall-clock assertions.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deserialize, serialize, Serializer } from "node:v8";
import { parseEventLine } from "../../src/core/eventParser";
import { ProfileModel } from "../../src/core/model";
import type { HarnessEvent } from "../../src/protocol/events";

const ROOT = resolve(__dirname, "..", "..");
/** Bits of an agg row's 8th element, the Node harness's additive "kinds" field (docs/node.md). */
const KIND = { binary: 1, primitive: 2, objects: 4, shared: 8, estimated: 16 };
const PRELOAD = join(ROOT, "harness", "node", "preload.js");
const MB = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Running scripts and reading their logs

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  dir: string;
  runDir: string | null;
  logs: Logs;
}

const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-node-"));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function runNode(dir: string, args: string[], opts: { harness?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const harness = opts.harness ?? true;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.WMPROF_RUN_DIR;
  delete env.WMPROF_NODE_PARENT;
  delete env.NODE_TEST_CONTEXT; // the child is not a test-runner subprocess
  Object.assign(env, opts.env);
  let runDir: string | null = null;
  if (harness) {
    runDir = mkdtempSync(join(tmpdir(), "wmprof-run-"));
    temps.push(runDir);
    chmodSync(runDir, 0o700);
    env.WMPROF_RUN_DIR = runDir;
  }
  if (opts.env?.NODE_OPTIONS === undefined) env.NODE_OPTIONS = `--require ${JSON.stringify(PRELOAD)}`;
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      done({ code, stdout: Buffer.concat(out).toString("latin1"), stderr, dir, runDir, logs: readLogs(runDir) });
    });
  });
}

type Ev = HarnessEvent & { tid?: number };

class Logs {
  readonly events: Ev[] = [];
  readonly files: string[] = [];

  constructor(readonly dir: string | null) {}

  of<K extends Ev["e"]>(e: K): Extract<Ev, { e: K }>[] {
    return this.events.filter((x) => x.e === e) as Extract<Ev, { e: K }>[];
  }

  /** Latest cumulative agg row per (pid, tid, site, channel, direction), with its site resolved. */
  rows(): Array<{ pid: number; tid?: number; site: number; file: string | null; line: number | null; fn: string | null; ch: string; dir: string; count: number; bytes: number; ns: number; hist: number[]; kinds: number }> {
    const latest = new Map<string, { pid: number; tid?: number; row: [number, string, string, number, number, number, number[], number] }>();
    for (const a of this.of("agg")) {
      for (const r of a.rows) latest.set(`${a.pid}|${a.tid ?? ""}|${r[0]}|${r[1]}|${r[2]}`, { pid: a.pid, tid: a.tid, row: r as never });
    }
    const sites = new Map<string, { file: string; line: number; function: string }>();
    for (const s of this.of("site")) sites.set(`${s.pid}|${s.tid ?? ""}|${s.id}`, s);
    return [...latest.values()].map(({ pid, tid, row }) => {
      const s = sites.get(`${pid}|${tid ?? ""}|${row[0]}`);
      return {
        pid, tid, site: row[0], file: s?.file ?? null, line: s?.line ?? null, fn: s?.function ?? null,
        ch: row[1], dir: row[2], count: row[3], bytes: row[4], ns: row[5], hist: row[6], kinds: row[7],
      };
    });
  }

  sum(pred: (r: ReturnType<Logs["rows"]>[number]) => boolean, f: "count" | "bytes" = "bytes"): number {
    return this.rows().filter(pred).reduce((a, r) => a + r[f], 0);
  }

  hellos(): Extract<Ev, { e: "hello" }>[] {
    return this.of("hello");
  }
}

function readLogs(dir: string | null): Logs {
  const logs = new Logs(dir);
  if (dir === null) return logs;
  for (const name of readdirSync(dir).sort()) {
    logs.files.push(name);
    if (!/^events-\d+(-t\d+)?\.ndjson$/.test(name)) continue;
    const text: string = readFileSync(join(dir, name), "utf8");
    const lines: string[] = text.split("\n");
    assert.equal(lines.pop(), "", `${name} must end with a newline`);
    for (const line of lines) {
      const r = parseEventLine(line);
      assert.ok(r.ok, `${name}: the core rejects ${line.slice(0, 200)}`);
      const ev = r.event as Ev;
      const m = /^events-(\d+)(?:-t(\d+))?\.ndjson$/.exec(name)!;
      // Every line of a thread's own log carries its pid (and tid); a creator's proxy `bye` for a
      // terminated worker is the one line that names another thread.
      assert.equal(ev.pid, Number(m[1]), `${name}: ${line}`);
      if (!(ev.e === "bye" && ev.tid !== undefined)) assert.equal(ev.tid, m[2] === undefined ? undefined : Number(m[2]), `${name}: ${line}`);
      logs.events.push(ev);
    }
  }
  return logs;
}

/** Ground truth for a structured clone: what a plain v8.Serializer writes (views included). */
function cloneBytes(v: unknown): number {
  const s = new Serializer();
  s.writeHeader();
  s.writeValue(v);
  return s.releaseBuffer().length;
}

function lineOf(script: string, marker: string): number {
  const i = script.split("\n").findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `marker ${marker}`);
  return i + 1;
}

// ---------------------------------------------------------------------------------------------
// Copies, transfers, SharedArrayBuffer

const COPY = `
const { Worker } = require("node:worker_threads");
const N = 100, S = ${MB};
const transfer = process.argv[2] === "transfer";
const w = new Worker(\`
  const { parentPort } = require("node:worker_threads");
  let n = 0, bytes = 0;
  parentPort.on("message", (m) => { n++; bytes += m.byteLength; if (n === ${100}) { parentPort.postMessage({ n, bytes }); parentPort.close(); } });
\`, { eval: true });
for (let i = 0; i < N; i++) {
  const u = new Uint8Array(S);
  u[0] = i;
  if (transfer) w.postMessage(u, [u.buffer]); // MOVE-POST
  else w.postMessage(u); // COPY-POST
}
w.once("message", (m) => console.log(JSON.stringify(m)));
`;

test("100 posts of a 1 MB Uint8Array copy >= 100 MB at the postMessage line, received by the worker", async () => {
  const r = await runNode(workspace({ "copy.js": COPY }), ["copy.js"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { n: 100, bytes: 100 * MB });
  const line = lineOf(COPY, "// COPY-POST");
  const sends = r.logs.rows().filter((x) => x.ch === "message-port" && x.dir === "send" && x.line === line);
  assert.equal(sends.length, 1, JSON.stringify(r.logs.rows()));
  const s = sends[0]!;
  assert.equal(s.count, 100);
  assert.ok(s.bytes >= 100 * MB && s.bytes <= 100 * (MB + 64), `bytes ${s.bytes}`);
  assert.ok(s.file!.endsWith("copy.js") && s.fn === "<module>" && s.tid === undefined);
  assert.equal(s.hist[8], 100); // 1 MB + header: the [1M, 4M) bucket
  assert.equal(s.kinds, KIND.binary); // every size exact (no estimate bit)
  assert.ok(s.ns > 0);
  assert.equal(r.logs.sum((x) => x.ch === "transfer"), 0);
  // Each copy >= 64 KiB is also a `big` event; the worker received all of them.
  assert.equal(r.logs.of("big").filter((b) => b.ch === "message-port" && b.dir === "send").length, 100);
  const recv = r.logs.rows().filter((x) => x.tid !== undefined && x.ch === "message-port" && x.dir === "recv");
  assert.equal(recv.reduce((a, x) => a + x.count, 0), 100);
  assert.equal(recv.reduce((a, x) => a + x.bytes, 0), s.bytes);
});

test("the same 100 posts with a transfer list copy ~0 and transfer 100 MB, on both sides", async () => {
  const r = await runNode(workspace({ "copy.js": COPY }), ["copy.js", "transfer"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { n: 100, bytes: 100 * MB });
  const line = lineOf(COPY, "// MOVE-POST");
  const at = (ch: string, dir: string) => r.logs.rows().filter((x) => x.ch === ch && x.dir === dir && x.line === line);
  const copy = at("message-port", "send");
  const moved = at("transfer", "send");
  assert.equal(copy.length, 1);
  assert.equal(copy[0]!.count, 100);
  assert.ok(copy[0]!.bytes < 100 * 64, `copied ${copy[0]!.bytes}`);
  assert.equal(moved.length, 1);
  assert.equal(moved[0]!.count, 100);
  assert.equal(moved[0]!.bytes, 100 * MB);
  // The receiver cannot tell on its own; the sender's published transfers let it count them as moved.
  assert.equal(r.logs.sum((x) => x.tid !== undefined && x.ch === "transfer" && x.dir === "recv"), 100 * MB);
  assert.ok(r.logs.sum((x) => x.tid !== undefined && x.ch === "message-port" && x.dir === "recv") < 100 * 64);
});

const SAB = `
const { Worker } = require("node:worker_threads");
const sab = new SharedArrayBuffer(64 * 1024 * 1024);
const code = \`
  const { parentPort, workerData } = require("node:worker_threads");
  parentPort.once("message", (m) => {
    new Int32Array(m.sab)[m.i] = m.i + 1;
    parentPort.postMessage(workerData.sab.byteLength === m.sab.byteLength);
    parentPort.close();
  });
\`;
let done = 0;
for (let i = 0; i < 2; i++) {
  const w = new Worker(code, { eval: true, workerData: { sab } }); // NEW-WORKER
  w.postMessage({ sab, i }); // POST-SAB
  w.once("message", (ok) => { if (!ok) process.exit(9); if (++done === 2) console.log(new Int32Array(sab).slice(0, 2).join(",")); });
}
`;

test("a 64 MB SharedArrayBuffer handed to two workers (workerData and a message) appears once", async () => {
  const r = await runNode(workspace({ "sab.js": SAB }), ["sab.js"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "1,2");
  const shm = r.logs.of("shm");
  const creates = shm.filter((s) => s.op === "create");
  assert.equal(creates.length, 1, JSON.stringify(shm));
  const c = creates[0]!;
  assert.equal(c.kind, "SharedArrayBuffer");
  assert.equal(c.bytes, 64 * MB);
  assert.equal(c.tid, undefined);
  const site = r.logs.of("site").find((s) => s.tid === undefined && s.id === c.site);
  assert.equal(site?.line, lineOf(SAB, "// NEW-WORKER"));
  // Each worker attaches the same buffer once, by the same name, though it got it twice.
  const attaches = shm.filter((s) => s.op === "attach");
  assert.deepEqual(attaches.map((a) => a.name), [c.name, c.name]);
  assert.equal(new Set(attaches.map((a) => a.tid)).size, 2);
  // Sharing copies nothing big: workerData and the message are a few bytes each.
  assert.ok(r.logs.sum((x) => x.ch === "message-port" && x.dir === "send") < 200);
  // The core folds it into one block of 64 MB.
  const model = new ProfileModel({ startedAtMs: 0 });
  for (const e of r.logs.events) model.ingest(e);
  const p = model.toProfile({
    runtime: "node", command: ["sab.js"], cwd: r.dir, python: null, exitCode: 0, wallMs: 1, complete: true, warnings: [],
    capabilities: { platform: "linux", pss: false, uss: false, heap: false, tracemalloc: false }, toolVersion: "test",
  });
  assert.equal(p.sharedMemory.length, 1);
  assert.equal(p.totals.sharedMemoryBytes, 64 * MB);
  assert.equal(p.processes.filter((x) => x.tid !== undefined).length, 2);
});

const PORTS = `
const { Worker, MessageChannel, BroadcastChannel, receiveMessageOnPort, postMessageToThread } = require("node:worker_threads");
const w = new Worker(\`
  const { parentPort, BroadcastChannel } = require("node:worker_threads");
  const bc = new BroadcastChannel("news");
  let got = 0;
  const check = () => { if (got === 5) { bc.close(); parentPort.postMessage(got); parentPort.close(); } };
  bc.onmessage = () => { got++; check(); };
  process.on("workerMessage", (m) => { got += m.length; check(); });
  parentPort.once("message", ({ port }) => {
    port.postMessage("x".repeat(300)); // WORKER-PORT
    parentPort.postMessage("ready");
  });
\`, { eval: true });
const { port1, port2 } = new MessageChannel();
w.postMessage({ port: port2 }, [port2]); // SEND-PORT
w.once("message", async () => {
  const final = new Promise((res) => w.once("message", res));
  const m = receiveMessageOnPort(port1);
  const bc = new BroadcastChannel("news");
  bc.postMessage({ hello: "all" }); // BROADCAST
  bc.close();
  await postMessageToThread(w.threadId, "abcd"); // TO-THREAD
  console.log(JSON.stringify({ got: await final, m: m.message.length }));
});
`;

test("MessageChannel ports sent to a worker, receiveMessageOnPort, BroadcastChannel and postMessageToThread", async () => {
  const r = await runNode(workspace({ "ports.js": PORTS }), ["ports.js"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { got: 5, m: 300 });
  // The worker's code is an eval'd string that starts on the `new Worker(` line: its own line 1.
  const line = (marker: string, tid: "main" | "worker") => lineOf(PORTS, marker) - (tid === "main" ? 0 : lineOf(PORTS, "new Worker(") - 1);
  const at = (marker: string, tid: "main" | "worker") =>
    r.logs.rows().filter((x) => x.ch === "message-port" && x.dir === "send" && x.line === line(marker, tid) && (tid === "main") === (x.tid === undefined));
  // A port in the transfer list moves no bytes; the message itself is a few bytes.
  const sendPort = at("// SEND-PORT", "main");
  assert.equal(sendPort[0]?.count, 1);
  assert.ok(sendPort[0]!.bytes < 64);
  assert.equal(r.logs.sum((x) => x.ch === "transfer"), 0);
  assert.equal(at("// WORKER-PORT", "worker")[0]?.bytes, cloneBytes("x".repeat(300)));
  assert.equal(at("// BROADCAST", "main")[0]?.bytes, cloneBytes({ hello: "all" }));
  assert.equal(at("// TO-THREAD", "main")[0]?.bytes, cloneBytes("abcd"));
  // receiveMessageOnPort is a receive on the main thread.
  assert.ok(r.logs.rows().some((x) => x.tid === undefined && x.dir === "recv" && x.bytes >= 300));
  // Node's own relay traffic for postMessageToThread is not counted as the user's.
  assert.equal(r.logs.sum((x) => x.ch === "message-port" && x.dir === "send", "count"), 4 + 2 /* worker: "ready", got */);
});

const HOT = `
const { Worker } = require("node:worker_threads");
const w = new Worker("require('node:worker_threads').parentPort.on('message', (m) => { if (m === 'end') process.exit(0); })", { eval: true });
const msg = { id: 7, op: "add", args: [1, 2, 3], name: "hello" };
for (let i = 0; i < 30000; i++) w.postMessage(msg); // HOT
w.postMessage({ id: 8, op: "sub", args: [1, 2, 3], name: "hello" }); // RARE
w.postMessage("end"); // END
`;

for (const exact of [false, true]) {
  test(`30,000 small posts from one line${exact ? " with WMPROF_NODE_EXACT=1" : ""}: exact count and bytes${exact ? ", every line exact" : ""}`, async () => {
    const r = await runNode(workspace({ "hot.js": HOT }), ["hot.js"], exact ? { env: { WMPROF_NODE_EXACT: "1" } } : {});
    assert.equal(r.code, 0, r.stderr);
    const one = cloneBytes({ id: 7, op: "add", args: [1, 2, 3], name: "hello" });
    const sends = r.logs.rows().filter((x) => x.tid === undefined && x.ch === "message-port" && x.dir === "send");
    assert.equal(sends.reduce((a, x) => a + x.count, 0), 30002);
    assert.equal(sends.reduce((a, x) => a + x.bytes, 0), 30001 * one + cloneBytes("end"));
    const hot = sends.find((x) => x.line === lineOf(HOT, "// HOT"))!;
    assert.ok(hot.count >= 30000 && hot.count <= 30002, `hot ${hot.count}`);
    // Objects, sized by sampling unless exact (the final "end" string may be counted here too).
    assert.equal(hot.kinds & (KIND.objects | KIND.estimated | KIND.binary), exact ? KIND.objects : KIND.objects | KIND.estimated);
    if (exact) {
      assert.equal(hot.count, 30000);
      assert.equal(sends.find((x) => x.line === lineOf(HOT, "// RARE"))?.count, 1);
      assert.equal(sends.find((x) => x.line === lineOf(HOT, "// END"))?.count, 1);
    }
    const recv = r.logs.rows().filter((x) => x.tid !== undefined && x.dir === "recv");
    assert.ok(recv.reduce((a, x) => a + x.count, 0) <= 30002);
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

const PARENT = `
const { fork, spawn } = require("node:child_process");
const mode = process.argv[2];
const msgs = [{ i: 1, s: "héllo" }, [1, 2.5, null, "x"], "plain string", { nested: { deep: [true, false] }, u: "\\u2603" }];
const c = fork(__dirname + "/child.js", [], mode === "advanced" ? { serialization: "advanced" } : {});
c.on("message", (m) => {
  if (m === "done") {
    const s = spawn(process.execPath, [__dirname + "/plain.js"], { stdio: "inherit" });
    s.on("exit", (code) => process.exit(code === 4 ? 0 : 1));
  }
});
for (const m of msgs) c.send(m); // PARENT-SEND
c.send("end"); // PARENT-END
`;
const CHILD = `
let n = 0;
process.on("message", (m) => {
  process.send(m); // CHILD-SEND
  if (m === "end") { process.send("done"); process.disconnect(); }
});
`;
const PLAIN = `process.exitCode = 4;`;
const IPC_MSGS: unknown[] = [{ i: 1, s: "héllo" }, [1, 2.5, null, "x"], "plain string", { nested: { deep: [true, false] }, u: "\u2603" }];

for (const mode of ["json", "advanced"] as const) {
  test(`fork() IPC (${mode}): exact bytes at both send lines, the child's hello, child/reap events; spawn(process.execPath) is seen`, async () => {
    const r = await runNode(workspace({ "parent.js": PARENT, "child.js": CHILD, "plain.js": PLAIN }), ["parent.js", mode]);
    assert.equal(r.code, 0, r.stderr);
    const size = (m: unknown) => (mode === "json" ? Buffer.byteLength(JSON.stringify(m)) + 1 : serialize(m).length);
    // What the child echoes is what it received: after a v8 round trip an array of mixed numbers
    // or a two-byte string can serialize a few bytes longer (the child really writes those bytes).
    const again = (m: unknown) => (mode === "json" ? m : deserialize(serialize(m)));
    const expect = IPC_MSGS.reduce((a: number, m) => a + size(m), 0);
    const echoed = IPC_MSGS.reduce((a: number, m) => a + size(again(m)), 0);
    const hellos = r.logs.hellos();
    const main = hellos.find((h) => h.role === "main")!;
    const child = hellos.find((h) => h.role === "worker")!;
    const sub = hellos.find((h) => h.role === "subprocess")!;
    assert.ok(main && child && sub, JSON.stringify(hellos));
    assert.equal(child.ppid, main.pid);
    assert.equal(child.startMethod, "exec");
    assert.equal(child.name, "child.js");
    assert.equal(sub.ppid, main.pid);
    const rows = r.logs.rows();
    const parentSend = rows.filter((x) => x.pid === main.pid && x.ch === "ipc" && x.dir === "send");
    const at = (line: number) => parentSend.filter((x) => x.line === line);
    assert.equal(at(lineOf(PARENT, "// PARENT-SEND"))[0]?.bytes, expect, JSON.stringify(parentSend));
    assert.equal(at(lineOf(PARENT, "// PARENT-SEND"))[0]?.count, IPC_MSGS.length);
    assert.equal(at(lineOf(PARENT, "// PARENT-END"))[0]?.bytes, size("end"));
    const childSend = rows.filter((x) => x.pid === child.pid && x.ch === "ipc" && x.dir === "send" && x.line === lineOf(CHILD, "// CHILD-SEND"));
    assert.equal(childSend[0]?.count, IPC_MSGS.length + 1);
    assert.equal(childSend[0]?.bytes, echoed + size("end"));
    // Receive side: every message, sized from the received value (JSON: exactly the bytes on the
    // wire; advanced: the value re-serialized, i.e. what it would take to send it on).
    assert.equal(r.logs.sum((x) => x.pid === child.pid && x.ch === "ipc" && x.dir === "recv", "count"), IPC_MSGS.length + 1);
    assert.equal(r.logs.sum((x) => x.pid === child.pid && x.ch === "ipc" && x.dir === "recv"), echoed + size("end"));
    assert.equal(r.logs.sum((x) => x.pid === main.pid && x.ch === "ipc" && x.dir === "recv"), echoed + size("end") + size("done"));
    // The parent announced both children and reaped them with their exit codes.
    const kids = r.logs.of("child").filter((c) => c.pid === main.pid);
    assert.deepEqual(kids.map((k) => [k.child, k.role, k.startMethod]).sort(), [[child.pid, "worker", "exec"], [sub.pid, "subprocess", "exec"]].sort());
    const reaps = r.logs.of("reap");
    assert.equal(reaps.find((x) => x.child === child.pid)?.exitCode, 0);
    assert.equal(reaps.find((x) => x.child === sub.pid)?.exitCode, 4);
    assert.equal(r.logs.of("bye").find((b) => b.pid === sub.pid)?.exitCode, 4);
  });
}

// ---------------------------------------------------------------------------------------------
// Threads: execArgv [], custom env, nesting, failures, exit codes, ESM

const THREADS = `
const { Worker } = require("node:worker_threads");
const once = (w) => new Promise((r) => w.once("exit", r));
const body = \`require("node:worker_threads").parentPort.postMessage("hi");\`;
(async () => {
  const codes = [];
  codes.push(await once(new Worker(body, { eval: true, execArgv: [] })));
  codes.push(await once(new Worker(body, { eval: true, env: { ONLY: "this" }, name: "custom-env" })));
  codes.push(await once(new Worker(\`const { Worker } = require("node:worker_threads"); new Worker(\${JSON.stringify(body)}, { eval: true });\`, { eval: true })));
  const thrower = new Worker('throw new Error("boom")', { eval: true });
  thrower.on("error", () => {});
  codes.push(await once(thrower));
  codes.push(await once(new Worker("process.exit(3)", { eval: true })));
  const forever = new Worker("setInterval(() => {}, 1000)", { eval: true });
  await new Promise((r) => forever.once("online", r));
  codes.push(await forever.terminate());
  console.log(JSON.stringify(codes));
})();
`;

test("workers with execArgv: [], with a custom env, nested, throwing, exiting 3 and terminated are all seen", async () => {
  const r = await runNode(workspace({ "threads.js": THREADS }), ["threads.js"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [0, 0, 0, 1, 3, 1]);
  const threads = r.logs.hellos().filter((h) => h.tid !== undefined);
  const main = r.logs.hellos().find((h) => h.tid === undefined)!;
  assert.equal(threads.length, 7, JSON.stringify(threads));
  for (const t of threads) {
    assert.equal(t.role, "thread");
    assert.equal(t.startMethod, "thread");
    assert.equal(t.pid, main.pid);
    assert.equal(t.ppid, main.pid);
    assert.equal(t.runtime, "node");
    assert.ok(r.logs.files.includes(`events-${t.pid}-t${t.tid}.ndjson`));
  }
  assert.ok(threads.some((t) => t.name === "custom-env"));
  const byeOf = (tid: number) => r.logs.of("bye").filter((b) => b.tid === tid).map((b) => b.exitCode);
  const [a, b, c, nested, thrower, exit3, forever] = threads.map((t) => t.tid!).sort((x, y) => x - y);
  for (const tid of [a!, b!, c!, nested!]) assert.ok(byeOf(tid).length >= 1 && byeOf(tid).every((x) => x === 0), `tid ${tid}`);
  // The thread writes its own bye; its creator writes one too (the only one after terminate()).
  assert.deepEqual(byeOf(thrower!), [1, 1]);
  assert.deepEqual(byeOf(exit3!), [3, 3]);
  assert.deepEqual(byeOf(forever!), [1]);
  // Every thread that posted "hi" counted it; every thread sampled its heap.
  assert.equal(r.logs.sum((x) => x.tid !== undefined && x.ch === "message-port" && x.dir === "send", "count"), 3);
  for (const t of threads) assert.ok(r.logs.of("heap").some((h) => h.tid === t.tid && (h.heapUsed ?? 0) > 0), `heap of ${t.tid}`);
});

const ESM_MAIN = `
import { Worker } from "node:worker_threads";
const w = new Worker(new URL("./worker.mjs", import.meta.url));
const msg = { kind: "task", payload: "x".repeat(1000) };
for (let i = 0; i < 20; i++) w.postMessage(msg); // ESM-POST
w.postMessage(null);
`;
const ESM_WORKER = `
import { parentPort } from "node:worker_threads";
let n = 0;
parentPort.on("message", (m) => { if (m === null) { parentPort.postMessage(n); parentPort.close(); } else n++; });
`;

test("an ESM (.mjs) entry point and an ESM worker are instrumented (--require runs first for ESM)", async () => {
  const r = await runNode(workspace({ "main.mjs": ESM_MAIN, "worker.mjs": ESM_WORKER }), ["main.mjs"]);
  assert.equal(r.code, 0, r.stderr);
  const expect = serialize({ kind: "task", payload: "x".repeat(1000) }).length;
  const rows = r.logs.rows().filter((x) => x.ch === "message-port" && x.dir === "send" && x.line === lineOf(ESM_MAIN, "// ESM-POST"));
  assert.equal(rows.length, 1, JSON.stringify(r.logs.rows()));
  assert.equal(rows[0]!.count, 20);
  assert.equal(rows[0]!.bytes, 20 * expect);
  assert.equal(rows[0]!.file, join(r.dir, "main.mjs"));
  const worker = r.logs.hellos().find((h) => h.tid !== undefined);
  assert.equal(worker?.name, "worker.mjs");
  assert.equal(r.logs.sum((x) => x.tid !== undefined && x.dir === "recv", "count"), 21);
  assert.equal(r.logs.hellos().find((h) => h.tid === undefined)?.name, "main.mjs");
});

// ---------------------------------------------------------------------------------------------
// The script's own output, runs without the harness, crashes

const FAKE = `
const { Worker } = require("node:worker_threads");
process.stdout.write('{"e":"hello","v":1,"pid":1,"ppid":0,"t":0,"role":"main"}\\n');
process.stdout.write('{"e":"agg","pid":1,"t":0,"rows":[[-1,"ipc","send",7,777,0,[]]]}\\n');
process.stdout.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
const w = new Worker('require("node:worker_threads").parentPort.postMessage("x"); console.log("{\\\\"e\\\\":\\\\"bye\\\\"}")', { eval: true });
w.on("message", (m) => console.log(JSON.stringify({ e: "site", got: m })));
`;

test("a script printing event-shaped JSON: stdout byte-identical with and without the harness, logs unaffected", async () => {
  const dir = workspace({ "fake.js": FAKE });
  const plain = await runNode(dir, ["fake.js"], { harness: false, env: { NODE_OPTIONS: "" } });
  const r = await runNode(dir, ["fake.js"]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(r.code, 0, r.stderr);
  const sortLines = (s: string) => s.split("\n").sort().join("\n"); // the worker's line races the main thread's
  assert.equal(sortLines(r.stdout), sortLines(plain.stdout));
  assert.equal(r.stderr, plain.stderr);
  assert.ok(r.logs.events.length > 0);
  assert.ok(r.logs.events.every((e) => e.pid !== 1));
  assert.equal(r.logs.sum((x) => x.ch === "ipc"), 0);
  assert.ok(!existsSync(join(dir, "events-1.ndjson")));
});

const FINGERPRINT = `
const wt = require("node:worker_threads");
const cp = require("node:child_process");
const k = Symbol.for("nodejs.internal.kHybridDispatch");
const fns = [wt.MessagePort.prototype.postMessage, wt.MessagePort.prototype[k], wt.Worker, wt.Worker.prototype.postMessage,
  wt.receiveMessageOnPort, wt.postMessageToThread, cp.ChildProcess.prototype.spawn];
console.log(JSON.stringify({
  fns: fns.map((f) => String(f).length + ":" + f.name),
  protoKeys: Reflect.ownKeys(wt.MessagePort.prototype).map(String),
  exit: process.listenerCount("exit"),
  env: Object.keys(process.env).filter((x) => x.startsWith("WMPROF")),
  globals: Reflect.ownKeys(globalThis).map(String).length,
  limit: Error.stackTraceLimit,
  envData: wt.getEnvironmentData("wmprof:sab-registry") === undefined,
}));
`;

test("without WMPROF_RUN_DIR the preload writes nothing and changes nothing", async () => {
  const dir = workspace({ "fp.js": FINGERPRINT });
  const plain = await runNode(dir, ["fp.js"], { harness: false, env: { NODE_OPTIONS: "" } });
  const preloaded = await runNode(dir, ["fp.js"], { harness: false }); // NODE_OPTIONS=--require preload, no run dir
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(preloaded.code, 0, preloaded.stderr);
  assert.equal(preloaded.stdout, plain.stdout);
  assert.deepEqual(readdirSync(dir), ["fp.js"]);
  // And the same script with the harness active does differ (the fingerprint is sensitive).
  const active = await runNode(dir, ["fp.js"]);
  assert.notEqual(active.stdout, plain.stdout);
  // A relative WMPROF_RUN_DIR is refused the same way.
  const rel = { WMPROF_RUN_DIR: "relative/dir" };
  const relPlain = await runNode(dir, ["fp.js"], { harness: false, env: { ...rel, NODE_OPTIONS: "" } });
  const relative = await runNode(dir, ["fp.js"], { harness: false, env: rel });
  assert.equal(relative.stdout, relPlain.stdout);
  assert.deepEqual(readdirSync(dir), ["fp.js"]);
});

const KILLED = `
const { Worker } = require("node:worker_threads");
const w = new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true });
const u = new Uint8Array(64);
const start = Date.now();
let n = 0;
// Post for a while (the harness flushes at most every 250 ms from the hook itself), then die hard.
while (Date.now() - start < 1200) { w.postMessage(u); n++; } // KILL-POST
require("node:fs").writeSync(1, String(n));
process.kill(process.pid, "SIGKILL");
`;

test("a SIGKILLed process keeps the counters of its last flush (no bye)", async () => {
  const r = await runNode(workspace({ "killed.js": KILLED }), ["killed.js"]);
  assert.equal(r.code, null);
  const sent = Number(r.stdout);
  assert.ok(sent > 0);
  const main = r.logs.hellos().find((h) => h.tid === undefined)!;
  const row = r.logs.rows().find((x) => x.pid === main.pid && x.tid === undefined && x.line === lineOf(KILLED, "// KILL-POST"));
  assert.ok(row && row.count > 0 && row.count <= sent, `flushed ${row?.count} of ${sent}`);
  assert.equal(row!.bytes, row!.count * cloneBytes(new Uint8Array(64)));
  assert.equal(r.logs.of("bye").filter((b) => b.tid === undefined).length, 0);
});

// ---------------------------------------------------------------------------------------------
// Sizes: the O(1) fast paths agree with a real v8.Serializer byte for byte

test("clone sizes: fast paths equal v8.Serializer output (strings, numbers, views, pools, transfers, SAB)", async () => {
  const { createRequire } = await import("node:module");
  const req = createRequire(__filename);
  const clone = req(join(ROOT, "harness", "node", "lib", "clone.js")) as {
    transferred(t: unknown): ArrayBuffer[] | null;
    cloneSize(v: unknown, abs: ArrayBuffer[] | null, exact: boolean): number;
    serializedSize(v: unknown, abs: ArrayBuffer[] | null): number;
    jsonSize(v: unknown): number;
    out: { moved: number };
  };
  const ab = new ArrayBuffer(300);
  const rab = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer)(10, { maxByteLength: 100 });
  const values: Array<[unknown, unknown[]?]> = [
    [""], ["abc"], ["é".repeat(70)], ["Ā".repeat(63)], ["Ā".repeat(64)], ["x".repeat(20000)], ["mixé" + "Ā"],
    [0], [1], [-1], [63], [64], [-65], [2 ** 31 - 1], [-(2 ** 31)], [2 ** 31], [1.5], [-0], [NaN], [Infinity],
    [true], [false], [null], [undefined],
    [ab], [new Uint8Array(ab)], [new Uint8Array(ab, 200, 50)], [new Float64Array(ab, 8, 10)], [new DataView(ab, 1, 2)],
    [Buffer.from("tiny")], [Buffer.alloc(5000)], [rab], [new Uint8Array(2 ** 21)],
    [ab, [ab]], [new Uint8Array(ab), [ab]], [new Uint8Array(ab), { transfer: [ab] } as unknown as unknown[]],
    [new SharedArrayBuffer(128)], [new Int32Array(new SharedArrayBuffer(64), 4, 2)],
  ];
  for (const [v, t] of values) {
    const abs = clone.transferred(t);
    const fast = clone.cloneSize(v, abs, false);
    const exact = clone.serializedSize(v, abs);
    assert.ok(fast > 0, `fast path for ${String(v).slice(0, 20)}`);
    assert.equal(fast, exact, `${Object.prototype.toString.call(v)} ${String(v).slice(0, 20)}`);
  }
  assert.equal(clone.transferred([ab, ab, new ArrayBuffer(7)])!.length, 2);
  assert.equal(clone.out.moved, 307);
  // Complex values are measured only when asked; then exactly.
  const obj = { a: [1, 2, 3], s: "é", m: new Map([[1, { d: new Date(0) }]]) };
  assert.equal(clone.cloneSize(obj, null, false), -1);
  assert.equal(clone.cloneSize(obj, null, true), serialize(obj).length);
  assert.equal(clone.jsonSize({ s: "héllo" }), Buffer.byteLength('{"s":"héllo"}') + 1);
});

// ---------------------------------------------------------------------------------------------
// The examples show what their headers say

test("examples/node: copy, transfer, SharedArrayBuffer, cloned objects and IPC each show their own signature", async () => {
  const dir = join(ROOT, "examples", "node");
  const MB2 = 2 * MB;
  const run = async (file: string) => {
    const r = await runNode(dir, [file, "--mb", "2", "--workers", "2", "--tasks", "2"]);
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    assert.match(r.stdout, /^checksum \d+/);
    const total = (ch: string, dir: string) => r.logs.sum((x) => x.ch === ch && x.dir === dir);
    return { r, total };
  };
  {
    const { total } = await run("01_copy_per_task.mjs");
    assert.ok(total("message-port", "send") >= 4 * MB2 && total("message-port", "send") < 4 * MB2 + 4096);
    assert.equal(total("message-port", "recv"), total("message-port", "send"));
    assert.equal(total("transfer", "send"), 0);
  }
  {
    const { total } = await run("02_transfer.mjs");
    assert.equal(total("transfer", "send"), 4 * MB2); // two workers, moved there and back
    assert.equal(total("transfer", "recv"), 4 * MB2);
    assert.ok(total("message-port", "send") < 1024);
  }
  {
    const { r, total } = await run("03_shared_array_buffer.mjs");
    assert.ok(r.logs.rows().some((x) => x.ch === "message-port" && x.dir === "send" && x.kinds === (KIND.objects | KIND.shared)));
    const shm = r.logs.of("shm");
    assert.equal(shm.filter((s) => s.op === "create").length, 1);
    assert.equal(shm.filter((s) => s.op === "attach").length, 2);
    assert.ok(shm.every((s) => s.bytes === MB2));
    assert.ok(total("message-port", "send") < 1024);
  }
  {
    const { r, total } = await run("04_worker_data_objects.mjs");
    // 65,536 rows {id, value, tag}: several times the 0.5 MB the same numbers take in a Float64Array.
    const rows = MB2 / 8 / 4;
    assert.ok(total("message-port", "send") > 2 * 3 * rows * 8, `objects ${total("message-port", "send")}`);
    assert.ok(r.logs.of("heap").some((h) => h.tid !== undefined && (h.heapUsed ?? 0) > MB2));
  }
  {
    const { r, total } = await run("05_fork_ipc.mjs");
    assert.equal(r.logs.hellos().filter((h) => h.role === "worker" && h.startMethod === "exec").length, 2);
    const plain = Array.from({ length: MB2 / 8 }, (_, i) => i % 1000);
    const json = (task: number) => Buffer.byteLength(JSON.stringify({ task, data: plain })) + 1;
    const main = r.logs.hellos().find((h) => h.role === "main")!.pid;
    assert.equal(r.logs.sum((x) => x.pid === main && x.ch === "ipc" && x.dir === "send"), json(0) + json(1));
    assert.equal(total("ipc", "recv"), total("ipc", "send"));
  }
});
