"""Copy-on-write breakage: a list of ints vs an array('q') inherited by fork children.

The parent builds N integers, forks two children that only *read* them, and waits.

    python examples/cow_list_vs_array.py --kind list    # each child ends up copying ~150+ MB
    python examples/cow_list_vs_array.py --kind array   # the fixed version: children copy ~nothing

Why: a list holds pointers to N separate int objects. Iterating it increments and decrements each
object's reference count, a write into the object header, so the kernel copies every page that
holds an int into the child (copy-on-write "breakage"). array('q') stores the raw 8-byte values in
one buffer; iterating it creates fresh temporary ints and never writes the shared buffer.
gc.freeze() would not help the list: ints are not tracked by the garbage collector, the copies come
from refcounts.

Options for tests and demos (stdlib only, Linux/macOS: needs the fork start method):
    --n N               number of ints (default 6_000_000)
    --children K        number of fork children (default 2)
    --sync DIR          each child writes DIR/ready-<pid> after reading the data, then waits
                        until DIR/release exists (so an outside sampler can measure it)
    --hold SECONDS      without --sync: children sleep this long after reading (default 0.5)
"""
import argparse
import multiprocessing as mp
import os
import sys
import time
from array import array


def read_all(data, sync_dir, hold):
    total = 0
    for x in data:  # a read, but for a list also a refcount write on every element
        total += x
    if sync_dir:
        with open(os.path.join(sync_dir, f"ready-{os.getpid()}.tmp"), "w") as f:
            f.write(str(total))
        os.replace(os.path.join(sync_dir, f"ready-{os.getpid()}.tmp"), os.path.join(sync_dir, f"ready-{os.getpid()}"))
        release = os.path.join(sync_dir, "release")
        deadline = time.monotonic() + 120
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.01)
    else:
        time.sleep(hold)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["list", "array"], default="list")
    ap.add_argument("--n", type=int, default=6_000_000)
    ap.add_argument("--children", type=int, default=2)
    ap.add_argument("--sync", default=None)
    ap.add_argument("--hold", type=float, default=0.5)
    args = ap.parse_args(argv)

    if args.kind == "list":
        data = list(range(args.n))
    else:
        data = array("q", range(args.n))

    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=read_all, args=(data, args.sync, args.hold)) for _ in range(args.children)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    bad = [p.exitcode for p in procs if p.exitcode != 0]
    if bad:
        print(f"children failed: {bad}", file=sys.stderr)
        return 1
    print(f"{args.kind}: {args.children} children read {args.n:,} ints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
