"""(a) N small Pipe round trips between the parent and one fork child.

    python a_pipe.py [N=50000]
"""
import multiprocessing as mp
import sys
import time

from _common import Truth, report

MSG = (1, "x")


def echo(conn):  # child-work
    recv = conn.recv  # child-work
    send = conn.send  # child-work
    while True:  # child-work
        msg = recv()  # child-work
        if msg is None:  # child-work
            break  # child-work
        send(msg)  # child-work


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    parent, child = mp.Pipe()
    p = mp.Process(target=echo, args=(child,))
    p.start()
    send = parent.send
    recv = parent.recv
    t0 = time.perf_counter()
    for _ in range(n):
        send(MSG)
        recv()
    loop = time.perf_counter() - t0
    send(None)
    p.join()
    truth = Truth()
    truth.add(MSG, 2 * n)  # n each way
    truth.add(None)
    report(truth, loopSeconds=loop, children=1, startMethod=mp.get_start_method())


if __name__ == "__main__":
    main()
