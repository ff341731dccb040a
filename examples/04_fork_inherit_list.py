"""Strategy 4: inherit a Python `list` under fork. Nothing is pickled, yet memory is copied.

What it demonstrates: fork shares the parent's pages copy-on-write, but reading a Python object
writes its reference count, so every page of int objects a child touches becomes a private copy.
`gc.freeze()` would not help here: it stops the garbage collector from touching tracked
containers, not refcount writes on the ints themselves.

What you should see in the profile: 0 bytes copied between processes, yet each child's private
dirty memory (COW-broken) grows to most of the list's size. Finding: `cow-refcount-breakage`.
"""
# demo-args: --mb 50 --workers 4
# demo-quick-args: --mb 8 --workers 2
import multiprocessing as mp

from _workload import checksum, make_list, parse_args

data = None


def worker(results):
    results.put(checksum(data))  # reads only, but writes every item's refcount


def main():
    global data
    args = parse_args(__doc__.splitlines()[0])
    ctx = mp.get_context("fork")
    data = make_list(args.mb)
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(results,)) for _ in range(args.workers)]
    for p in procs:
        p.start()
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    print("fork + list: %d workers, checksum %d" % (len(procs), total))


if __name__ == "__main__":
    main()
