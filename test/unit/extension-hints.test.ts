import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { HISTOGRAM_LENGTH } from "../../src/protocol/events";
import type { CopyRecord, Finding, Profile } from "../../src/protocol/profile";
import { findingLocations, lineHints, profiledScript } from "../../src/extension/hintModel";
import { formatElapsed } from "../../src/extension/format";

function profile(copies: CopyRecord[], findings: Finding[] = [], command = ["job.py"]): Profile {
  return {
    schema: "wmprof/1",
    tool: { name: "wmprof", version: "test" },
    runtime: "python",
    command,
    cwd: "/work/proj",
    python: null,
    exitCode: 0,
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs: 1000,
    complete: true,
    warnings: [],
    capabilities: { platform: "linux", pss: true, uss: true, heap: false, tracemalloc: false },
    processes: [],
    copies,
    sharedMemory: [],
    timeline: { bucketMs: 100, t: [], bytes: {} },
    totals: {
      bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0, processes: 0,
      peakPssSum: null, peakRssSum: null, sharedMemoryBytes: 0, maxCowBrokenBytes: null,
    },
    findings,
    stats: { eventLines: 0, malformedLines: 0, samples: 0 },
  };
}

const copy = (pid: number, file: string, line: number, channel: CopyRecord["channel"], direction: CopyRecord["direction"], bytes: number, count: number): CopyRecord => ({
  channel, direction, pid, bytes, count, pickleNs: 0, site: { file, line, function: "f" }, hist: new Array(HISTOGRAM_LENGTH).fill(0),
});

describe("editor hints", () => {
  it("sums one site over processes, names the channel's operation, and resolves relative paths against cwd", () => {
    // Ground truth: 4 workers × 100 puts × 250,006 pickled bytes at job.py:12.
    const copies = [1, 2, 3, 4].map((pid) => copy(pid, "job.py", 12, "queue", "send", 100 * 250_006, 100));
    const [hint, ...rest] = lineHints(profile(copies));
    assert.equal(rest.length, 0);
    assert.equal(hint!.file, "/work/proj/job.py");
    assert.equal(hint!.line, 12);
    assert.equal(hint!.bytes, 400 * 250_006);
    assert.equal(hint!.text, "⇄ 95.4 MiB pickled · 400 puts · queue");
  });

  it("keeps sites apart, lists several channels on one line biggest first, and orders hints by bytes", () => {
    const hints = lineHints(
      profile([
        copy(1, "/a.py", 3, "pipe", "send", 10, 1),
        copy(1, "/a.py", 7, "pool", "send", 2048, 2),
        copy(2, "/a.py", 7, "pool", "recv", 4096, 3),
        copy(1, "/a.py", 9, "queue", "recv", 0, 0),
      ]),
    );
    assert.deepEqual(hints.map((h) => [h.line, h.text]), [
      [7, "⇄ 4.0 KiB unpickled · 3 results · pool  ⇄ 2.0 KiB pickled · 2 tasks · pool"],
      [3, "⇄ 10 B pickled · 1 send · pipe"],
    ]);
  });

  it("skips copies without a user frame", () => {
    const c = copy(1, "/a.py", 1, "queue", "send", 100, 1);
    assert.deepEqual(lineHints(profile([{ ...c, site: null }])), []);
  });

  it("places findings at their site, or at the top of the profiled script", () => {
    const findings: Finding[] = [
      { rule: "big-queue-payload", severity: "warning", message: "Large payloads.", fix: "Use shared_memory.", site: { file: "lib/w.py", line: 5, function: "f" } },
      { rule: "no-pss", severity: "info", message: "PSS unavailable.", site: null },
    ];
    assert.deepEqual(findingLocations(profile([], findings)), [
      { file: "/work/proj/lib/w.py", line: 5, severity: "warning", rule: "big-queue-payload", message: "Large payloads. Use shared_memory." },
      { file: "/work/proj/job.py", line: 1, severity: "info", rule: "no-pss", message: "PSS unavailable." },
    ]);
    // A module run has no script to hang site-less findings on.
    assert.equal(profiledScript(profile([], [], ["-m", "pkg.job"])), undefined);
    assert.equal(findingLocations(profile([], [findings[1]!], ["-m", "pkg.job"])).length, 0);
  });

  it("formats the status-bar clock", () => {
    assert.equal(formatElapsed(0), "0:00");
    assert.equal(formatElapsed(65_400), "1:05");
    assert.equal(formatElapsed(3_725_000), "1:02:05");
  });
});
