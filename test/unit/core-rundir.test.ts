/**
 * RunDirTailer on a real folder: lines split across polls, logs appearing later, failed-log
 * markers, the unterminated tail at finish(), and descriptors: kept open while logs grow, capped
 * (the least recently grown log gives its up), all closed by finish().
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunDirTailer } from "../../src/core/runDir";

function descriptorsInto(dir: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir + "/")) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

function setup(options: { maxOpenFds?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "wmprof-tail-"));
  const lines: string[] = [];
  let clock = 0;
  const tailer = new RunDirTailer(dir, (l) => lines.push(l), { ...options, clock: () => clock });
  return {
    dir, lines, tailer,
    poll(ms = 100) {
      clock += ms;
      return tailer.poll();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test("lines split across polls, logs that appear later, failed-log markers and the unterminated tail", () => {
  const t = setup();
  try {
    writeFileSync(join(t.dir, "run.json"), "{}\n");
    writeFileSync(join(t.dir, "events-100.ndjson"), '{"a":1}\n{"a":');
    t.poll();
    assert.deepEqual(t.lines, ['{"a":1}']);
    appendFileSync(join(t.dir, "events-100.ndjson"), "2}\n");
    writeFileSync(join(t.dir, "events-101.ndjson"), '{"b":1}\n');
    writeFileSync(join(t.dir, "events-102.failed"), "");
    assert.equal(t.poll(), 3 + 8);
    assert.deepEqual(t.lines, ['{"a":1}', '{"a":2}', '{"b":1}']);
    assert.deepEqual([...t.tailer.failedPids], [102]);
    assert.equal(t.poll(), 0, "nothing new");
    appendFileSync(join(t.dir, "events-101.ndjson"), '{"b":2}\n{"b":');
    t.tailer.finish();
    assert.deepEqual(t.lines.slice(3), ['{"b":2}', '{"b":']);
    assert.equal(descriptorsInto(t.dir), 0, "finish() closes every log");
  } finally {
    t.cleanup();
  }
});

test("a log created without moving the folder's mtime is still found within the rescan interval", () => {
  const t = setup();
  try {
    const old = new Date(Date.now() - 3600_000);
    writeFileSync(join(t.dir, "events-100.ndjson"), "x\n");
    utimesSync(t.dir, old, old);
    t.poll();
    assert.deepEqual(t.lines, ["x"]);
    writeFileSync(join(t.dir, "events-101.ndjson"), "y\n");
    utimesSync(t.dir, old, old); // as if created within the same timestamp tick as the listing
    t.poll(100);
    assert.deepEqual(t.lines, ["x"], "not listed again: the folder looks unchanged");
    t.poll(5000);
    assert.deepEqual(t.lines, ["x", "y"]);
  } finally {
    t.cleanup();
  }
});

test("descriptors: one per growing log up to maxOpenFds; every line still read; none left after finish()", () => {
  const t = setup({ maxOpenFds: 2 });
  try {
    const logs = [100, 101, 102, 103].map((pid) => join(t.dir, `events-${pid}.ndjson`));
    for (const f of logs) writeFileSync(f, "");
    t.poll();
    const expected: string[] = [];
    for (let round = 0; round < 6; round++) {
      // two logs busy every round, the other two now and then
      logs.forEach((f, i) => {
        if (i < 2 || round % 3 === 0) {
          appendFileSync(f, `${i}-${round}\n`);
          expected.push(`${i}-${round}`);
        }
      });
      t.poll(100);
      t.poll(300);
      assert.ok(descriptorsInto(t.dir) <= 2, `${descriptorsInto(t.dir)} descriptors open`);
    }
    for (let i = 0; i < 8; i++) t.poll(1000); // the closed logs' back-off is at most 4 s
    assert.deepEqual([...t.lines].sort(), expected.sort());
    t.tailer.finish();
    assert.equal(descriptorsInto(t.dir), 0);
  } finally {
    t.cleanup();
  }
});

test("descriptors: a log idle for 10 s gives its descriptor up (its process ended), and is read again when it grows", () => {
  const t = setup();
  try {
    const logs = [200, 201].map((pid) => join(t.dir, `events-${pid}.ndjson`));
    for (const f of logs) writeFileSync(f, "start\n");
    t.poll();
    assert.equal(descriptorsInto(t.dir), 2);
    for (let s = 0; s < 11; s++) {
      appendFileSync(logs[0]!, `busy-${s}\n`); // only the first log keeps growing
      t.poll(1000);
    }
    assert.equal(descriptorsInto(t.dir), 1, "the idle log's descriptor is closed");
    appendFileSync(logs[1]!, "late\n");
    for (let i = 0; i < 5; i++) t.poll(1000); // size checks back off to at most 4 s
    assert.ok(t.lines.includes("late"), "a closed log that grows is read again");
    t.tailer.finish();
    assert.equal(descriptorsInto(t.dir), 0);
  } finally {
    t.cleanup();
  }
});

test("a quiet log is read again after 200 ms, then every 400 ms; a growing one at every poll", () => {
  const t = setup();
  try {
    const log = join(t.dir, "events-100.ndjson");
    writeFileSync(log, '{"a":1}\n');
    t.poll(); // clock 100: read, grew
    appendFileSync(log, '{"a":2}\n');
    assert.equal(t.poll(), 8, "a log that just grew is read at the next poll"); // 200
    assert.equal(t.poll(), 0); // 300: unchanged -> next read at 500
    appendFileSync(log, '{"a":3}\n');
    assert.equal(t.poll(), 0, "quiet: not read 100 ms later"); // 400
    assert.equal(t.poll(), 8, "…but 200 ms later"); // 500
    assert.equal(t.poll(), 0); // 600: unchanged -> 800
    assert.equal(t.poll(), 0); // 700
    assert.equal(t.poll(), 0); // 800: unchanged again -> 1200
    appendFileSync(log, '{"a":4}\n');
    for (const at of [900, 1000, 1100]) assert.equal(t.poll(), 0, `backed off to 400 ms (${at})`);
    assert.equal(t.poll(), 8); // 1200
    appendFileSync(log, '{"a":5}\n');
    t.tailer.finish();
    assert.deepEqual(t.lines, ['{"a":1}', '{"a":2}', '{"a":3}', '{"a":4}', '{"a":5}'], "finish() reads whatever the schedule");
  } finally {
    t.cleanup();
  }
});
