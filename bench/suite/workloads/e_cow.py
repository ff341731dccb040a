"""(e) Fork copy-on-write: the parent builds a list of N ints (default 6M), two fork children
iterate over it. Nothing is pickled to share the list (the children inherit it), but iterating
writes every int's reference count, so the children end up with private copies of the pages
holding the ints: the memory you pay is in PSS/USS, not in copy bytes. Each child sends its sum
back through a Queue (the only pickled messages).

    python e_cow.py [N=6000000]

Accuracy pass (WMBENCH_SYNC set): each child announces itself once it has finished reading and
parks until the driver has measured the tree with smem.
"""
import multiprocessing as mp
import os
import sys
import time

from _common import Truth, mark, park, report

DATA = None


def reader(q):  # child-work
    s = 0  # child-work
    for x in DATA:  # child-work
        s += x  # child-work
    mark("child-%d" % os.getpid())  # child-work
    park()  # child-work
    q.put(s)  # child-work


def main():
    global DATA
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6_000_000
    t0 = time.perf_counter()
    DATA = list(range(n))
    built = time.perf_counter()
    mark("parent-%d" % os.getpid())
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    kids = [ctx.Process(target=reader, args=(q,)) for _ in range(2)]
    for k in kids:
        k.start()
    sums = [q.get() for _ in kids]
    for k in kids:
        k.join()
    loop = time.perf_counter() - t0
    expect = n * (n - 1) // 2
    if sums != [expect, expect]:
        raise SystemExit("children summed %r, expected %d" % (sums, expect))
    truth = Truth()
    truth.add(expect, 2)
    report(truth, loopSeconds=loop, buildSeconds=built - t0, children=2, startMethod="fork")


if __name__ == "__main__":
    main()
