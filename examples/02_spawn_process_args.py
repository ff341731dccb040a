"""Strategy 2: pass the array as a Process argument under `spawn` (or `--method forkserver`).

What it demonstrates: spawn and forkserver start a fresh interpreter, so the Process object and
its args are pickled once per worker. Under fork the same args are inherited for free.

What you should see in the profile: channel `process-args`, bytes ≈ workers × array size at the
`p.start()` line; every worker holds a private copy (USS ≈ array size each).
Finding: `pickled-process-args`.
"""
# demo-args: --mb 50 --workers 4
# demo-quick-args: --mb 8 --workers 2
import multiprocessing as mp

from _workload import checksum, make_array, parse_args


def worker(data, results):
    results.put(checksum(data))


def main():
    args = parse_args(__doc__.splitlines()[0])
    ctx = mp.get_context(args.method or "spawn")
    data = make_array(args.mb)
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(data, results)) for _ in range(args.workers)]
    for p in procs:
        p.start()  # pickles `data` into each new interpreter
    total = sum(results.get() for _ in procs)
    for p in procs:
        p.join()
    print("%s args: %d workers, checksum %d" % (ctx.get_start_method(), len(procs), total))


if __name__ == "__main__":
    main()
