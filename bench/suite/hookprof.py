"""cProfile of the wmprof harness hooks inside a workload's parent process, every thread included
(the Queue feeder thread pickles for put(), so a main-thread-only profile would miss the send
side). Used by bench/run.mjs for the "what dominates" notes.

    python hookprof.py OUT.json HARNESS_DIR RUNNER_OR_- SCRIPT [ARGS...]

With RUNNER `-` the script runs plainly (the baseline); otherwise the runner (wmprof_run.py) runs
it under the harness; the caller sets WMPROF_RUN_DIR and friends. cProfile slows every Python
call, so absolute times are inflated; the harness's share and its top functions are the point.
Harness functions that replace a standard-library method whole (Queue.put / get,
Connection.send / recv, the feeder's Condition.wait: marked `_wm_whole`) are labelled "(whole)":
their time includes the body they replace, which the plain run spends in the stdlib instead.
"""
import gc
import cProfile
import json
import os
import pstats
import runpy
import sys
import threading

out, harness, runner = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
profiles = []
_run = threading.Thread.run


def _profiled_run(self):
    p = cProfile.Profile()
    profiles.append(p)
    p.enable()
    try:
        _run(self)
    finally:
        p.disable()


threading.Thread.run = _profiled_run
main = cProfile.Profile()
profiles.append(main)
target = sys.argv[4:] if runner == "-" else [runner] + sys.argv[4:]
sys.argv = target
sys.path[0] = os.path.dirname(os.path.abspath(target[0]))
main.enable()
try:
    runpy.run_path(target[0], run_name="__main__")
except SystemExit:
    pass
finally:
    main.disable()

whole = set()
for obj in gc.get_objects():
    if callable(obj) and getattr(obj, "_wm_whole", False) is True:
        code = getattr(obj, "__code__", None)
        if code is not None:
            whole.add((code.co_filename, code.co_firstlineno, code.co_name))

stats = pstats.Stats(profiles[0])
for p in profiles[1:]:
    try:
        stats.add(p)
    except Exception:
        pass
total = 0.0
mine = 0.0
rows = []
for (fn, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():
    total += tt
    real = os.path.realpath(fn) if not fn.startswith("<") and fn != "~" else fn
    if real.startswith(harness):
        mine += tt
        rows.append({"fn": name + (" (whole)" if (fn, line, name) in whole else ""), "where": "%s:%d" % (os.path.relpath(real, harness), line), "calls": nc,
                     "tottime": tt, "cumtime": ct})
rows.sort(key=lambda r: -r["tottime"])
with open(out, "w") as f:
    json.dump({"total": total, "harness": mine, "threads": len(profiles), "top": rows[:8]}, f)
