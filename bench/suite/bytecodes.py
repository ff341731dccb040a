"""Python bytecodes executed per function, in every process and thread of a workload: a
deterministic profile of the harness's hot path (cProfile's times are inflated and noisy; this
counts work). Used by bench/run.mjs, which runs it at two loop lengths, plain and under the
harness, and reports the difference per round trip.

    python bytecodes.py OUT_PREFIX RUNNER_OR_- SCRIPT [ARGS...]

Each process writes OUT_PREFIX.<pid>.json: [[file, function, count], ...], its own counts only
(a forked child starts from zero). Forked children
inherit the tracer and write theirs from os._exit (multiprocessing's children end there); the
parent writes from atexit. With RUNNER `-` the script runs plainly; otherwise the runner
(wmprof_run.py) runs it under the harness, and the caller sets WMPROF_RUN_DIR and friends, and
WMPROF_HOT_SCALE (tracing is ~50x slower; the hooks' hot-site thresholds must scale with it so
that they sample as they would natively). Spawned children are not traced.
"""
import atexit
import collections
import json
import os
import runpy
import sys
import threading

out, runner = sys.argv[1], sys.argv[2]
counts = collections.Counter()


def _global(frame, event, arg):
    frame.f_trace_opcodes = True
    frame.f_trace_lines = False
    return _local


def _local(frame, event, arg):
    if event == "opcode":
        code = frame.f_code
        counts[(code.co_filename, code.co_name)] += 1
    return _local


def _write():
    sys.settrace(None)
    threading.settrace(None)
    while True:  # another thread may still add a key while we copy
        try:
            items = list(counts.items())
            break
        except RuntimeError:
            pass
    with open("%s.%d.json" % (out, os.getpid()), "w") as f:
        json.dump([[os.path.basename(fn), name, n] for (fn, name), n in items], f)


_exit = os._exit


def _exit_with_counts(code):
    try:
        _write()
    finally:
        _exit(code)


os._exit = _exit_with_counts
os.register_at_fork(after_in_child=counts.clear)  # the parent's counts stay the parent's
atexit.register(_write)
target = sys.argv[3:] if runner == "-" else [runner] + sys.argv[3:]
sys.argv = target
sys.path[0] = os.path.dirname(os.path.abspath(target[0]))
threading.settrace(_global)
sys.settrace(_global)
try:
    runpy.run_path(target[0], run_name="__main__")
except SystemExit:
    pass
