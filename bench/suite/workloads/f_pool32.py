"""(f) A 32-worker Pool for the profiler's sampler cost: every worker holds HOLD MiB (pages
touched) and the pool works through W*K short sleeping tasks, so the tree is large, alive and
almost idle, and what the profiler's own process spends is its sampling.

    python f_pool32.py [SECONDS=6] [WORKERS=32] [HOLD_MB=16]

The steady window (all workers up and holding their memory, tasks flowing) is reported as epoch
seconds (steady: [t0, t1]) so the driver can read the profiler's CPU time over exactly that window.
"""
import multiprocessing as mp
import sys
import time

from _common import Truth, add_pool_map, report

NAP = 0.1
BLOB = None


def hold(mb):  # child-work
    global BLOB  # child-work
    BLOB = bytearray(mb << 20)  # child-work
    for i in range(0, len(BLOB), 4096):  # child-work
        BLOB[i] = 1  # child-work


def nap(x):  # child-work
    time.sleep(NAP)  # child-work
    return x  # child-work


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    rounds = max(1, int(round(seconds / NAP)))
    truth = Truth()
    t0 = time.perf_counter()
    with mp.Pool(workers, initializer=hold, initargs=(mb,)) as pool:
        warm = pool.map_async(nap, range(workers), chunksize=1)  # every worker has started and holds its memory
        add_pool_map(truth, warm._job, nap, range(workers), 1, warm.get())
        s0 = time.time()
        r = pool.map_async(nap, range(workers * rounds), chunksize=1)
        out = r.get()
        s1 = time.time()
    add_pool_map(truth, r._job, nap, range(workers * rounds), 1, out)
    loop = time.perf_counter() - t0
    truth.notes.append("plus pool sentinels: None (4 B) x %d workers and a few wake-ups" % workers)
    report(truth, loopSeconds=loop, steady=[s0, s1], children=workers, startMethod=mp.get_start_method(),
           sentinelBytes=4)


if __name__ == "__main__":
    main()
