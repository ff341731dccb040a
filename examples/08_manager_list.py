"""Strategy 8: a `Manager().list()`: the data lives in a server process; every read is a round trip.

What it demonstrates: a manager proxy pickles each request and each reply. Workers here read the
list in chunks of 65,536 items, so each chunk is one round trip that copies it again.

What you should see in the profile: a `manager` process holding the list, channel `manager`
bytes ≈ (1 + workers) × array size (the upload plus every worker's reads), many messages at the
`shared[i:i + CHUNK]` line. Finding: `manager-chatty`.
"""
# demo-args: --mb 20 --workers 4
# demo-quick-args: --mb 4 --workers 2
import multiprocessing as mp

from _workload import make_array, parse_args

CHUNK = 65536


def worker(shared, n, results):
    total = 0
    for i in range(0, n, CHUNK):
        total += sum(shared[i:i + CHUNK])  # one proxy round trip per chunk
    results.put(total)


def main():
    args = parse_args(__doc__.splitlines()[0])
    ctx = mp.get_context(args.method or "fork")
    with ctx.Manager() as manager:
        shared = manager.list(make_array(args.mb))
        n = len(shared)
        results = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(shared, n, results)) for _ in range(args.workers)]
        for p in procs:
            p.start()
        total = sum(results.get() for _ in procs)
        for p in procs:
            p.join()
    print("manager list: %d workers, checksum %d" % (len(procs), total))


if __name__ == "__main__":
    main()
