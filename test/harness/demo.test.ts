/**
 * `wmprof demo --quick` end to end: every strategy's profile agrees with what that way of sharing
 * is known to cost. Quick mode: an 8 MiB array (4 MiB for the manager), 2 workers, 2 tasks each.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { renderComparison } from "../../src/core/compare";
import { buildComparisonView } from "../../src/core/view/build";
import type { Profile } from "../../src/protocol/profile";
import { runCli, sum, workspace } from "../support/cli";

const MiB = 1024 * 1024;
const SIZE = 8 * MiB;
const WORKERS = 2;

test("the quick demo tells the eight strategies apart, each as its ground truth says", { timeout: 300_000 }, async () => {
  const dir = workspace();
  const r = await runCli(["demo", "--quick", "--out", "demo"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const out = join(dir, "demo");
  assert.ok(existsSync(join(out, "report.html")), "the comparison report is written");
  const load = (name: string) => JSON.parse(readFileSync(join(out, `${name}.json`), "utf8")) as Profile;
  const sent = (p: Profile, ch: string) => sum(p.copies.filter((c) => c.channel === ch && c.direction === "send"), (c) => c.bytes);
  const rules = (p: Profile) => p.findings.map((f) => f.rule);

  const queue = load("01_queue_per_task");
  assert.ok(sent(queue, "queue") >= WORKERS * 2 * SIZE, `queue copies every task's array: ${sent(queue, "queue")}`);
  assert.ok(rules(queue).includes("large-queue-payloads"));
  assert.ok(!rules(queue).includes("cow-refcount-breakage"), "unpickled payloads are the workers' own memory, not COW");

  const spawnArgs = load("02_spawn_process_args");
  assert.ok(sent(spawnArgs, "process-args") >= WORKERS * SIZE, "spawn pickles the array once per worker");
  assert.ok(rules(spawnArgs).includes("pickled-process-args"));

  const pool = load("03_pool_initializer");
  assert.ok(sent(pool, "process-args") >= WORKERS * SIZE, "the initializer's args travel with each worker");
  assert.ok(sent(pool, "process-args") < 2 * WORKERS * SIZE, "…once per worker, not per task");
  const poolMsgs = pool.copies.filter((c) => c.channel === "pool" && c.direction === "send");
  assert.ok(sum(poolMsgs, (c) => c.bytes) < 64 * 1024, "tasks carry only an index");

  const list = load("04_fork_inherit_list");
  const array = load("05_fork_inherit_array");
  for (const p of [list, array]) assert.ok(p.totals.bytesSent < 16 * 1024, `fork inherits: ${p.totals.bytesSent} B copied`);
  assert.ok((list.totals.maxCowBrokenBytes ?? 0) >= 16 * MiB, `reading a list copies its pages: ${list.totals.maxCowBrokenBytes}`);
  assert.ok(rules(list).includes("cow-refcount-breakage"));
  assert.ok((array.totals.maxCowBrokenBytes ?? Infinity) < 6 * MiB, `an array buffer stays shared: ${array.totals.maxCowBrokenBytes}`);
  assert.ok(!rules(array).includes("cow-refcount-breakage"));

  const shm = load("06_shared_memory");
  const block = shm.sharedMemory.find((b) => b.kind === "shared_memory");
  assert.ok(block && block.bytes >= SIZE && block.unlinked, JSON.stringify(shm.sharedMemory));
  assert.ok(block.site?.file.endsWith("06_shared_memory.py"));
  assert.ok(shm.totals.bytesSent < 64 * 1024, "only the block's name crosses");
  assert.ok(!rules(shm).includes("shared-memory-leak"));

  const raw = load("07_raw_array");
  assert.ok(raw.sharedMemory.some((b) => b.kind === "sharedctypes" && b.bytes >= SIZE), JSON.stringify(raw.sharedMemory));
  assert.ok(raw.totals.bytesSent < 16 * 1024);

  const mgr = load("08_manager_list");
  assert.ok(sent(mgr, "manager") >= 4 * MiB, "the list is uploaded to the manager");
  assert.ok(mgr.processes.some((p) => p.role === "manager"));

  // The comparison table is built from the same figures.
  const profiles = [queue, spawnArgs, pool, list, array, shm, raw, mgr];
  const { rows } = buildComparisonView(profiles);
  assert.equal(rows[0]!.bytesCopied, queue.totals.bytesSent);
  assert.match(renderComparison(profiles), /01_queue_per_task .*large-queue-payloads/);
  assert.match(r.stdout, /Report: +.*report\.html/);
});
