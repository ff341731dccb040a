import { test } from "node:test";
import assert from "node:assert/strict";
import { LineDecoder } from "../../src/core/lineDecoder";
import { parseEventLine } from "../../src/core/eventParser";
import { ProfileModel } from "../../src/core/model";

const LINES = [
  JSON.stringify({ e: "hello", v: 1, pid: 10, ppid: 1, t: 1000, role: "main", startMethod: null, name: "MainProcess", runtime: "python", version: "3.11.7", executable: "/usr/bin/python3" }),
  JSON.stringify({ e: "site", pid: 10, id: 0, file: "/w/é ü/q.py", line: 12, function: "main" }),
  JSON.stringify({ e: "agg", pid: 10, t: 1100, rows: [[0, "queue", "send", 4, 4096, 1000, [0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]]] }),
];
const STREAM = Buffer.from(LINES.join("\n") + "\n", "utf8");

test("a stream split at every byte offset decodes to the same lines", () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const d = new LineDecoder();
    const got = [...d.push(STREAM.subarray(0, cut)), ...d.push(STREAM.subarray(cut))];
    assert.deepEqual(got, LINES, `cut at ${cut}`);
    assert.equal(d.flush(), null);
  }
});

test("a stream fed one byte at a time decodes, including multi-byte UTF-8", () => {
  const d = new LineDecoder();
  const got: string[] = [];
  for (let i = 0; i < STREAM.length; i++) got.push(...d.push(STREAM.subarray(i, i + 1)));
  assert.deepEqual(got, LINES);
});

test("an oversized line is dropped whole and decoding resynchronises at the next newline", () => {
  const d = new LineDecoder(100);
  const big = "x".repeat(250);
  const got = [...d.push(Buffer.from(`a\n${big.slice(0, 120)}`)), ...d.push(Buffer.from(`${big.slice(120)}\nb\n`))];
  assert.deepEqual(got, ["a", "b"]);
  assert.equal(d.oversizedLines, 1);
});

test("an unterminated tail is returned by flush (a process killed mid-write)", () => {
  const d = new LineDecoder();
  assert.deepEqual(d.push(Buffer.from('{"e":"bye"')), []);
  assert.equal(d.flush(), '{"e":"bye"');
});

test("the parser rejects malformed and mis-shaped lines and skips unknown kinds", () => {
  assert.equal(parseEventLine(LINES[0]!).ok, true);
  assert.deepEqual(parseEventLine("{not json"), { ok: false, reason: "json" });
  assert.deepEqual(parseEventLine("[1,2]"), { ok: false, reason: "shape" });
  assert.deepEqual(parseEventLine('{"e":"agg","pid":1,"t":1,"rows":[[0,"smoke","send",1,1,1]]}'), { ok: false, reason: "shape" });
  assert.deepEqual(parseEventLine('{"e":"future-kind","pid":1}'), { ok: false, reason: "unknown" });
  assert.deepEqual(parseEventLine('{"e":"hello","pid":"1"}'), { ok: false, reason: "shape" });
});

test("malformed lines are counted, never fatal, and the rest of the stream still counts", () => {
  const m = new ProfileModel({ startedAtMs: 1000 });
  for (const l of [LINES[0]!, "garbage", LINES[1]!, '{"e":"agg"', LINES[2]!]) m.ingestLine(l);
  assert.equal(m.stats.malformedLines, 2);
  assert.equal(m.liveStatus().bytesCopied, 4096);
});
