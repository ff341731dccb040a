"""(d) Pool.map of N CPU-bound tasks (default pool size, default chunksize).

    python d_pool.py [N=10000] [WORK=4000]

Ground truth: the task batches and result lists that Pool.map pickles are rebuilt here exactly
(job id, batch index, mapstar, (f, chunk)); the pool's own sentinels (None, 4 bytes each: one per
worker, plus the result handler's and the change notifier's wake-ups) are reported apart, as the
remainder, because how many wake-ups happen depends on thread timing.
"""
import multiprocessing as mp
import sys
import time

from _common import Truth, add_pool_map, report

WORK = 4000


def task(x):  # child-work
    s = 0  # child-work
    for i in range(WORK):  # child-work
        s += (x ^ i) * i  # child-work
    return s  # child-work


def main():
    global WORK
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    if len(sys.argv) > 2:
        WORK = int(sys.argv[2])
    items = list(range(n))
    t0 = time.perf_counter()
    with mp.Pool() as pool:
        workers = len(pool._pool)
        r = pool.map_async(task, items)
        out = r.get()
        job = r._job
        chunksize = r._chunksize
    loop = time.perf_counter() - t0
    truth = Truth()
    add_pool_map(truth, job, task, items, chunksize, out)
    if len(out) != n:
        raise SystemExit("Pool.map returned %d results, expected %d" % (len(out), n))
    truth.notes.append("plus pool sentinels: None (4 B) x %d workers and a few wake-ups" % workers)
    report(truth, loopSeconds=loop, children=workers, chunksize=chunksize, startMethod=mp.get_start_method(),
           sentinelBytes=4)


if __name__ == "__main__":
    main()
