"""Strategy 5: inherit an `array.array` (or a numpy array, with --numpy) under fork.

What it demonstrates: the values live in one buffer owned by one object, so reading them writes
no per-item refcounts and the pages stay shared between parent and children.

What you should see in the profile: ~0 bytes copied, COW-broken near 0 for every child, and
Σ PSS far below Σ RSS (the array is counted once, not once per process).
"""
# demo-args: --mb 50 --workers 4
# demo-quick-args: --mb 8 --workers 2
import multiprocessing as mp
import sys

from _workload import checksum, make_array, parse_args

data = None


def worker(results):
    results.put(int(checksum(data)))


def main():
    global data
    use_numpy = "--numpy" in sys.argv
    if use_numpy:
        sys.argv.remove("--numpy")
    args = parse_args(__doc__.splitlines()[0])
    ctx = mp.get_context("fork")
    data = make_array(args.mb)
    if use_numpy:
        import numpy as np  # optional: Debian's python3-numpy

        data = np.frombuffer(data, dtype=np.int64)
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(results,)) for _ in range(args.workers)]
    for p in procs:
        p.start()
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    print("fork + %s: %d workers, checksum %d" % ("numpy" if use_numpy else "array", len(procs), total))


if __name__ == "__main__":
    main()
