"""Shared helpers of the benchmark workloads (bench/suite/workloads/*.py).

Every workload is a plain multiprocessing script: it runs the same way under plain python,
`wmprof run`, Scalene and mprof. Two optional environment variables connect it to the driver
(bench/run.mjs); without them the script just runs:

  WMBENCH_REPORT  path of a JSON file the parent writes at the end: the ground truth of what it
                  sent (messages and pickled bytes, computed with pickle.dumps, which produces the
                  same bytes as multiprocessing's ForkingPickler for these plain objects), its own
                  timings and its peak RSS (VmHWM).
  WMBENCH_SYNC    a folder for the accuracy pass: processes announce themselves there and park at
                  a known moment until the driver, having measured them with smem, writes `go`.
"""
import json
import os
import pickle
import resource
import time


def pickled_len(obj):
    """Bytes multiprocessing puts on the wire for obj (ForkingPickler.dumps gives the same)."""
    return len(pickle.dumps(obj))


class Truth(object):
    """What the workload itself knows it sent: every pickled message of the user's code, and the
    stdlib's own small messages where they are predictable."""

    __slots__ = ("messages", "bytes", "notes")

    def __init__(self):
        self.messages = 0
        self.bytes = 0
        self.notes = []

    def add(self, obj, times=1):
        self.messages += times
        self.bytes += pickled_len(obj) * times

    def add_len(self, n, times=1):
        self.messages += times
        self.bytes += n * times


def add_pool_map(truth, job, func, items, chunksize, results):
    """The messages of one Pool.map(func, items) that returned `results`: every batch
    Pool._get_tasks makes is pickled as (job, index, mapstar, ((func, chunk),), {}) by the
    parent's task handler, and answered with (job, index, (True, [results of the chunk])) by a
    worker."""
    from multiprocessing.pool import mapstar

    items = list(items)
    for i, start in enumerate(range(0, len(items), chunksize)):
        chunk = tuple(items[start:start + chunksize])
        truth.add((job, i, mapstar, ((func, chunk),), {}))
        truth.add((job, i, (True, list(results[start:start + chunksize]))))


def _vm_hwm_kib():
    """Peak RSS of this process's own address space. Not getrusage's ru_maxrss: Linux carries that
    across fork and exec, so a script started by a 50 MB profiler process would inherit 50 MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def report(truth, **fields):
    path = os.environ.get("WMBENCH_REPORT")
    if not path:
        return
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = {
        "pid": os.getpid(),
        "truth": {"messages": truth.messages, "bytes": truth.bytes, "notes": truth.notes},
        "parentMaxRssKiB": _vm_hwm_kib(),
        "parentCpuSeconds": ru.ru_utime + ru.ru_stime,
    }
    out.update(fields)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f)
    os.replace(tmp, path)


def mark(name, payload=""):
    """Accuracy pass only: announce `name` in the sync folder (atomically)."""
    sync = os.environ.get("WMBENCH_SYNC")
    if not sync:
        return
    p = os.path.join(sync, name)
    with open(p + ".tmp", "w") as f:
        f.write(payload)
    os.replace(p + ".tmp", p)


def park():
    """Accuracy pass only: wait until the driver writes `go` (polls a file: touches no data pages)."""
    sync = os.environ.get("WMBENCH_SYNC")
    if not sync:
        return
    go = os.path.join(sync, "go")
    deadline = time.time() + 120
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.01)
