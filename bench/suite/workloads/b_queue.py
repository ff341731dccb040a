"""(b) N small Queue round trips between the parent and one fork child (two Queues: there and back).

    python b_queue.py [N=100000]
"""
import multiprocessing as mp
import sys
import time

from _common import Truth, report

MSG = (1, "x")


def echo(q_in, q_out):  # child-work
    get = q_in.get  # child-work
    put = q_out.put  # child-work
    while True:  # child-work
        msg = get()  # child-work
        if msg is None:  # child-work
            break  # child-work
        put(msg)  # child-work


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    q_in = mp.Queue()
    q_out = mp.Queue()
    p = mp.Process(target=echo, args=(q_in, q_out))
    p.start()
    put = q_in.put
    get = q_out.get
    t0 = time.perf_counter()
    for _ in range(n):
        put(MSG)
        get()
    loop = time.perf_counter() - t0
    put(None)
    p.join()
    truth = Truth()
    truth.add(MSG, 2 * n)
    truth.add(None)
    report(truth, loopSeconds=loop, children=1, startMethod=mp.get_start_method())


if __name__ == "__main__":
    main()
