"""Strategy 1: send the array through a Queue with every task.

What it demonstrates: queues pickle. Every put() copies the whole array into the pipe and every
get() unpickles a private copy in the worker, so the bytes copied grow with the number of tasks.

What you should see in the profile: channel `queue`, bytes copied ≈ workers × tasks × array size
at the `tasks.put(...)` line (send) and the same again at the worker's `get()` (recv); each
worker's USS includes its own unpickled copy. Finding: `large-queue-payloads`.
"""
# demo-args: --mb 50 --workers 4 --tasks 2
# demo-quick-args: --mb 8 --workers 2 --tasks 2
import multiprocessing as mp

from _workload import checksum, make_array, parse_args


def worker(tasks, results):
    while True:
        item = tasks.get()
        if item is None:
            return
        task, data = item
        results.put(checksum(data, task))


def main():
    args = parse_args(__doc__.splitlines()[0], tasks=2)
    ctx = mp.get_context(args.method or "fork")
    data = make_array(args.mb)
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(tasks, results)) for _ in range(args.workers)]
    for p in procs:
        p.start()
    n = args.workers * args.tasks
    for task in range(n):
        tasks.put((task, data))  # the whole array is pickled for every task
    total = sum(results.get() for _ in range(n))
    for _ in procs:
        tasks.put(None)
    for p in procs:
        p.join()
    print("queue: %d tasks, checksum %d" % (n, total))


if __name__ == "__main__":
    main()
