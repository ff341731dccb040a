"""(c) Bulk: MB_TOTAL MiB through a Queue in 1 MiB messages (parent produces, one fork child consumes).

    python c_bulk.py [MB_TOTAL=2048]
"""
import multiprocessing as mp
import sys
import time

from _common import Truth, report

CHUNK = 1 << 20


def consume(q, done):  # child-work
    get = q.get  # child-work
    n = 0  # child-work
    total = 0  # child-work
    while True:  # child-work
        msg = get()  # child-work
        if msg is None:  # child-work
            break  # child-work
        n += 1  # child-work
        total += len(msg)  # child-work
    done.put((n, total))  # child-work


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
    payload = b"\x5a" * CHUNK
    q = mp.Queue(maxsize=8)
    done = mp.Queue()
    p = mp.Process(target=consume, args=(q, done))
    p.start()
    put = q.put
    t0 = time.perf_counter()
    for _ in range(mb):
        put(payload)
    put(None)
    n, total = done.get()
    loop = time.perf_counter() - t0
    p.join()
    if (n, total) != (mb, mb * CHUNK):
        raise SystemExit("consumer saw %d messages / %d bytes, expected %d / %d" % (n, total, mb, mb * CHUNK))
    truth = Truth()
    truth.add(payload, mb)
    truth.add(None)
    truth.add((n, total))
    report(truth, loopSeconds=loop, children=1, startMethod=mp.get_start_method(), payloadBytes=mb * CHUNK)


if __name__ == "__main__":
    main()
