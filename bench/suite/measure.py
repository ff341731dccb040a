"""Runs one command and measures it from outside; the driver (bench/run.mjs) starts every tool's
run through this wrapper, so plain python, wmprof, Scalene and mprof are measured the same way.

    python measure.py OUT.json [--timeline] -- COMMAND [ARGS...]

Writes OUT.json:
  wall          seconds from just before exec to the child's exit (its whole life, start-up included)
  cpu           user + system seconds of the whole tree: the command and every descendant it
                waited for (wait4's rusage of the child includes its reaped children)
  maxRssKiB     the largest RSS of any process of the tree (rusage's ru_maxrss: max, not sum)
  selfHwmKiB    VmHWM of the command's own process (the profiler for wmprof and mprof, the
                profiled program itself for plain and Scalene), last read before it exited
  selfCpu       the command's own process: CPU seconds of all its threads (schedstat, ns
                resolution), last read before it exited
  timeline      with --timeline: [[epoch s, selfCpu s], ...] every 50 ms, to take the profiler's
                CPU over a window the workload reports
  exit          exit status (negative: killed by that signal)

Polling reads two small /proc files every 50 ms; it costs every tool the same.
"""
import json
import os
import sys
import threading
import time

POLL = 0.05


def self_cpu_ns(pid):
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid), "rb") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def main():
    out = sys.argv[1]
    rest = sys.argv[2:]
    timeline = "--timeline" in rest[: rest.index("--")]
    cmd = rest[rest.index("--") + 1:]
    state = {"hwm": None, "cpu": None, "timeline": [], "done": False}

    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)

    def poll():
        while not state["done"]:
            h = hwm_kib(pid)
            c = self_cpu_ns(pid)
            if h is not None:  # a zombie has no VmHWM: keep the last live reading
                state["hwm"] = h
                if c is not None:
                    state["cpu"] = c
                    if timeline:
                        state["timeline"].append((time.time(), c / 1e9))
            time.sleep(POLL)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    state["done"] = True
    th.join()
    result = {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "maxRssKiB": ru.ru_maxrss,
        "selfHwmKiB": state["hwm"],
        "selfCpu": None if state["cpu"] is None else state["cpu"] / 1e9,
        "exit": os.waitstatus_to_exitcode(status),
    }
    if timeline:
        result["timeline"] = state["timeline"]
    with open(out, "w") as f:
        json.dump(result, f)
    sys.exit(0 if result["exit"] == 0 else 1)


if __name__ == "__main__":
    main()
