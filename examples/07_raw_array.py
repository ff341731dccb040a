"""Strategy 7: `multiprocessing.RawArray` (lock-free `Array`), inherited by the workers.

What it demonstrates: sharedctypes allocate from an mmap-backed arena that every child maps,
so the values are shared, not copied. Under spawn the arena is passed as a file descriptor.

What you should see in the profile: a `sharedctypes` block of the array's size at the
`RawArray(...)` line, ~0 bytes copied, COW-broken near 0.
"""
# demo-args: --mb 50 --workers 4
# demo-quick-args: --mb 8 --workers 2
import multiprocessing as mp

from _workload import checksum, length, parse_args


def worker(shared, results):
    results.put(checksum(memoryview(shared).cast("B").cast("q")))


def main():
    args = parse_args(__doc__.splitlines()[0])
    ctx = mp.get_context(args.method or "fork")
    n = length(args.mb)
    shared = ctx.RawArray("q", n)
    view = memoryview(shared).cast("B").cast("q")
    for i in range(n):
        view[i] = i
    view.release()
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(shared, results)) for _ in range(args.workers)]
    for p in procs:
        p.start()
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    print("RawArray: %d workers, checksum %d" % (len(procs), total))


if __name__ == "__main__":
    main()
