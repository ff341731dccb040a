"""N small Pipe round trips between the parent and one child process (wmprof overhead benchmark).

    python bench/pipe_roundtrip.py [N=50000] [START_METHOD=fork]

Prints one JSON line on stdout: {"roundTrips": N, "loopSeconds": ..., "cpuSeconds": ...,
"startMethod": ...}. loopSeconds is the wall time of the timed loop (no interpreter start-up, no
child start); cpuSeconds is the CPU time both processes spent in it (parent + child
process_time), which a loaded machine disturbs much less than wall time. bench/overhead.mjs also
measures the wall time of the whole process.
"""
import json
import multiprocessing as mp
import sys
import time


def echo(conn):
    recv = conn.recv
    send = conn.send
    recv()  # warm-up
    send(None)
    c0 = time.process_time()
    while True:
        msg = recv()
        if msg is None:
            break
        send(msg)
    send(time.process_time() - c0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
    method = sys.argv[2] if len(sys.argv) > 2 else "fork"
    ctx = mp.get_context(method)
    parent, child = ctx.Pipe()
    p = ctx.Process(target=echo, args=(child,))
    p.start()
    send = parent.send
    recv = parent.recv
    msg = (1, "x")
    send(msg)  # warm-up: the child is up and both sides have their sites cached
    recv()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for _ in range(n):
        send(msg)
        recv()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    send(None)
    cpu += recv()
    p.join()
    print(json.dumps({"roundTrips": n, "loopSeconds": dt, "cpuSeconds": cpu, "startMethod": method}))


if __name__ == "__main__":
    main()
