/**
 * Issue 8, a 10-minute run: a steady stream of Queue messages, a 1 MiB message every few seconds,
 * workers that come and go (fork and spawn) and memory that churns. What must hold however long a
 * run lasts: every message counted exactly, the profile's series and timeline bounded, and the
 * profiler's own memory and file descriptors flat. WMPROF_SOAK_SECONDS shortens it for local work.
 * It sleeps most of the time, so scripts/run-tests.mjs runs it alongside the rest of the suite.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MAX_HEAP_PER_PROCESS, MAX_SAMPLES_PER_PROCESS } from "../../src/core/model";
import { runCli, sum, workspace } from "../support/cli";

const SECONDS = Number(process.env.WMPROF_SOAK_SECONDS) || 600;
const GENERATION_S = 30;

const SCRIPT = `
import multiprocessing as mp, pickle, sys, time, json
SECONDS, GENERATION_S = float(sys.argv[1]), float(sys.argv[2])
truth = {"count": 0, "bytes": 0}

def put(q, obj):
    truth["count"] += 1
    truth["bytes"] += len(pickle.dumps(obj))  # ForkingPickler's protocol is pickle's default
    q.put(obj)  # PUT

def consumer(q):
    while q.get() is not None:
        pass

def churn(until):
    held = []
    while time.time() < until:
        held.append(bytearray(1 << 20))
        if len(held) > 24:
            del held[:16]
        time.sleep(0.05)

if __name__ == "__main__":
    q = mp.Queue()
    c = mp.get_context("fork").Process(target=consumer, args=(q,))
    c.start()
    start = time.time()
    end = start + SECONDS
    workers, gen, i = [], 0, 0
    while time.time() < end:
        if time.time() >= start + gen * GENERATION_S:
            method = ("fork", "spawn")[gen % 2]
            w = mp.get_context(method).Process(target=churn, args=(min(end, time.time() + GENERATION_S),))
            w.start()
            workers.append(w)
            gen += 1
        put(q, [i % 97] * (i % 40) if i % 400 else bytes(1 << 20))
        i += 1
        time.sleep(0.01)
    put(q, None)
    c.join()
    for w in workers:
        w.join()
    with open("truth.json", "w") as f:
        json.dump(dict(truth, workers=len(workers), codes=[c.exitcode] + [w.exitcode for w in workers]), f)
`;

interface HostSample { t: number; rss: number; fds: number }

function hostSample(pid: number, t0: number): HostSample | undefined {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;
    return { t: (Date.now() - t0) / 1000, rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

const max = (xs: number[]): number => Math.max(...xs);

test(`a ${SECONDS}-second run: exact counts, bounded profile, flat profiler memory and fds`, { timeout: (SECONDS + 300) * 1000 }, async () => {
  const dir = workspace({ "soak.py": SCRIPT });
  const samples: HostSample[] = [];
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const r = await runCli(["run", "--quiet", "soak.py", String(SECONDS), String(GENERATION_S)], {
    cwd: dir,
    onSpawn: (pid) => {
      timer = setInterval(() => {
        const s = hostSample(pid, t0);
        if (s) samples.push(s);
      }, 2000);
    },
  });
  clearInterval(timer);
  assert.equal(r.code, 0, r.stderr);
  const truth = JSON.parse(readFileSync(join(dir, "truth.json"), "utf8")) as { count: number; bytes: number; workers: number; codes: number[] };
  const p = r.profile!;
  assert.equal(p.complete, true);
  assert.ok(p.wallMs >= SECONDS * 1000);

  // Every message, counted exactly at its line.
  const puts = p.copies.filter((c) => c.channel === "queue" && c.direction === "send" && c.site?.function === "put");
  assert.equal(sum(puts, (c) => c.count), truth.count);
  assert.equal(sum(puts, (c) => c.bytes), truth.bytes);
  // Every process, with its exit code.
  const workers = p.processes.filter((x) => x.role === "worker");
  assert.equal(workers.length, truth.workers + 1, "the consumer and every generation of churn workers");
  assert.ok(workers.every((w) => w.instrumented && w.exitCode === 0));
  assert.deepEqual(truth.codes.filter((c) => c !== 0), []);

  // Bounded however long the run: the timeline, every series, the file.
  assert.ok(p.timeline.t.length <= 2000, `${p.timeline.t.length} timeline buckets`);
  for (const x of p.processes) {
    assert.ok(x.samples.length <= MAX_SAMPLES_PER_PROCESS, `${x.samples.length} memory samples for ${x.pid}`);
    assert.ok(x.heap.length <= MAX_HEAP_PER_PROCESS, `${x.heap.length} heap samples for ${x.pid}`);
  }
  // The file is its samples plus a bounded rest (sites, copies, timeline): ~300 bytes a sample.
  const points = sum(p.processes, (x) => x.samples.length + x.heap.length);
  const bytes = statSync(r.out).size;
  assert.ok(bytes < 1024 * 1024 + points * 400, `profile of ${bytes} bytes for ${points} samples`);

  // The profiler itself: memory and fds flat from the first minutes to the last.
  const early = samples.filter((s) => s.t >= SECONDS * 0.1 && s.t <= SECONDS * 0.3);
  const late = samples.filter((s) => s.t >= SECONDS * 0.7);
  assert.ok(early.length > 0 && late.length > 0, `${samples.length} samples of the profiler`);
  const grew = max(late.map((s) => s.rss)) - max(early.map((s) => s.rss));
  console.log(`profiler RSS ${(max(early.map((s) => s.rss)) / 2 ** 20).toFixed(1)} → ${(max(late.map((s) => s.rss)) / 2 ** 20).toFixed(1)} MiB, fds ${max(early.map((s) => s.fds))} → ${max(late.map((s) => s.fds))}, ${truth.count} messages, ${p.processes.length} processes, profile ${(bytes / 1024).toFixed(0)} KiB`);
  assert.ok(grew < 32 * 2 ** 20, `the profiler's RSS grew ${(grew / 2 ** 20).toFixed(1)} MiB between the first and last parts of the run`);
  assert.ok(max(late.map((s) => s.fds)) <= max(early.map((s) => s.fds)) + 4, "no file descriptor leak");
});
