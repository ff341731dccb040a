"""(g) Spawn visibility: a Pool of 2 workers from mp.get_context("spawn"); each worker holds
HOLD MiB (pages touched) and burns CPU in `burn`, a function of this file. Answers, for each
tool: did it see the spawn workers (their memory, their CPU, their copies), and did the workers
really start with spawn (a spawn child re-imports this file and does not inherit FORKED)?

    python g_spawn.py [TASKS=40] [HOLD_MB=64]
"""
import multiprocessing as mp
import os
import sys
import time

from _common import Truth, add_pool_map, report

FORKED = False
BLOB = None


def hold(mb):  # child-work
    global BLOB  # child-work
    BLOB = bytearray(mb << 20)  # child-work
    for i in range(0, len(BLOB), 4096):  # child-work
        BLOB[i] = 1  # child-work


def burn(x):  # child-work
    s = 0  # child-work
    for i in range(200_000):  # child-work
        s += i ^ x  # child-work
    return (os.getpid(), FORKED)  # child-work


def main():
    global FORKED
    FORKED = True  # a forked worker inherits this; a spawned one re-imports the module: False
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    mb = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    ctx = mp.get_context("spawn")
    truth = Truth()
    t0 = time.perf_counter()
    with ctx.Pool(2, initializer=hold, initargs=(mb,)) as pool:
        r = pool.map_async(burn, range(tasks), chunksize=1)
        res = r.get()
    loop = time.perf_counter() - t0
    truth.notes.append("spawn also pickles each worker's process object and preparation data "
                       "(process-args) and the pool sentinels; only the map's messages are counted here")
    add_pool_map(truth, r._job, burn, range(tasks), 1, res)
    report(truth, loopSeconds=loop, children=2, workerPids=sorted({p for p, _ in res}),
           workersForked=any(f for _, f in res), startMethodAsked="spawn", sentinelBytes=4)


if __name__ == "__main__":
    main()
