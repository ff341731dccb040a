"""Strategy 3: `Pool(initializer=...)`: the array is pickled once per worker, not once per task.

What it demonstrates: under spawn the initializer's args travel with each worker's start, so the
cost is workers × array size however many tasks follow; the tasks themselves carry only an index.

What you should see in the profile: channel `process-args` ≈ workers × array size at the
`Pool(...)` line, and only small messages on channel `pool` at the `map(...)` line.
"""
# demo-args: --mb 50 --workers 4 --tasks 8
# demo-quick-args: --mb 8 --workers 2 --tasks 4
import multiprocessing as mp

from _workload import checksum, make_array, parse_args

_data = None


def init(data):
    global _data
    _data = data


def task(i):
    return checksum(_data, i)


def main():
    args = parse_args(__doc__.splitlines()[0], tasks=8)
    ctx = mp.get_context(args.method or "spawn")
    data = make_array(args.mb)
    with ctx.Pool(args.workers, initializer=init, initargs=(data,)) as pool:
        total = sum(pool.map(task, range(args.workers * args.tasks)))
    print("pool initializer: %d tasks, checksum %d" % (args.workers * args.tasks, total))


if __name__ == "__main__":
    main()
