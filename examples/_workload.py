"""The one workload every example shares: a large read-only array of int64 and workers that each
compute over all of it. Only the way the array reaches the workers differs between examples."""
import argparse
import array

ITEM = 8  # bytes per int64


def parse_args(description, tasks=1):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--mb", type=float, default=50, help="size of the read-only array in MB (default 50)")
    p.add_argument("--workers", type=int, default=4, help="number of worker processes (default 4)")
    p.add_argument("--tasks", type=int, default=tasks, help="tasks per worker (default %d)" % tasks)
    p.add_argument("--method", default=None, help="multiprocessing start method, where the example allows a choice")
    return p.parse_args()


def length(mb):
    return int(mb * 1024 * 1024) // ITEM


def make_array(mb):
    """int64 values in one contiguous buffer: a single object, no per-item refcounts."""
    return array.array("q", range(length(mb)))


def make_list(mb):
    """The same values as a list: one Python int object (with its refcount) per item."""
    return list(range(length(mb)))


def checksum(values, task=0):
    """The 'computation': read every item once. Cheap enough to keep the demo fast."""
    total = 0
    for i in range(task % 7, len(values), 7):
        total += values[i]
    return total


def expected(mb, task=0):
    return sum(range(task % 7, length(mb), 7))
