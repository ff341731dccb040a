/** The stdlib comparison is only as good as its parser of unittest's `-v` output. */
import { test } from "node:test";
import assert from "node:assert/strict";
// @ts-expect-error: a plain .mjs script without types
import { parseVerbose } from "../../scripts/stdlib-compare.mjs";

test("parseVerbose: statuses with and without durations, docstrings, child output in between", () => {
  const out = [
    "test_cancel (test.test_concurrent_futures.FutureTests) ... ok",
    "test_map_timeout (test.test_concurrent_futures.ProcessPoolForkProcessPoolExecutorTest) ... 6.12s ok",
    "test_max_workers_too_large (test.test_concurrent_futures.ProcessPoolForkProcessPoolExecutorTest) ... skipped 'Windows-only process limit'",
    "test_crash (test.test_concurrent_futures.ProcessPoolForkExecutorDeadlockTest) ... 0.28s FAIL",
    "test_docstring (test._test_multiprocessing.WithProcessesTestQueue.test_docstring)",
    "A queue that ... says something",
    "some child output",
    " ... ERROR",
    "0.00s test_killed_child (test.test_concurrent_futures.test_process_pool.ProcessPoolForkProcessPoolExecutorTest.test_killed_child) ... 0.01s ok",
  ].join("\n");
  const r = parseVerbose(out) as Map<string, string>;
  assert.deepEqual([...r.entries()], [
    ["test.test_concurrent_futures.FutureTests.test_cancel", "ok"],
    ["test.test_concurrent_futures.ProcessPoolForkProcessPoolExecutorTest.test_map_timeout", "ok"],
    ["test.test_concurrent_futures.ProcessPoolForkProcessPoolExecutorTest.test_max_workers_too_large", "skipped"],
    ["test.test_concurrent_futures.ProcessPoolForkExecutorDeadlockTest.test_crash", "FAIL"],
    ["test._test_multiprocessing.WithProcessesTestQueue.test_docstring", "ERROR"],
    ["test.test_concurrent_futures.test_process_pool.ProcessPoolForkProcessPoolExecutorTest.test_killed_child", "ok"],
  ]);
});
