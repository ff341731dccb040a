"""Runs one command and measures it from outside; the driver (bench/run.mjs) starts every tool's
run through this wrapper, so plain python, wmprof, Scalene and mprof are measured the same way.

    python measure.py OUT.json [--timeline] -- COMMAND [ARGS...]

Writes OUT.json:
  wall          seconds from just before exec to the child's exit (its whole life, start-up included)
  cpu           user + system seconds of the whole tree: the command and every descendant (this
                wrapper is a child subreaper, so orphans a tool leaves behind are reaped here and
                counted too; they get 3 s after the command exits, then SIGKILL)
  maxRssKiB     the largest RSS of any process of the tree (rusage's ru_maxrss: max, not sum)
  minflt        minor page faults of the whole tree
  orphans       how many processes outlived the command
  selfHwmKiB    VmHWM of the command's own process (the profiler for wmprof and mprof, the
                profiled program itself for plain and Scalene), last read before it exited
  selfCpu       the command's own process: CPU seconds of all its threads (schedstat, ns
                resolution), last read before it exited
  timeline      with --timeline: [[epoch s, selfCpu s], ...] every 50 ms, to take the profiler's
                CPU over a window the workload reports
  exit          exit status (negative: killed by that signal)

Polling reads two small /proc files every 50 ms; it costs every tool the same.
"""
import ctypes
import json
import os
import resource
import signal
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


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except Exception:
        return False


def my_children():
    me = os.getpid()
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                st = f.read()
            if int(st[st.rindex(b")") + 2:].split()[1]) == me:
                out.append(int(name))
        except (OSError, ValueError):
            pass
    return out


def reap_orphans(deadline):
    """Waits for processes reparented to us; SIGKILL after the deadline. Returns how many there were."""
    seen = set()
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return len(seen)
        if pid:
            seen.add(pid)
            continue
        kids = my_children()
        seen.update(kids)
        if time.time() > deadline:
            for k in kids:
                try:
                    os.kill(k, signal.SIGKILL)
                except OSError:
                    pass
            deadline = float("inf")
        time.sleep(0.02)


def main():
    out = sys.argv[1]
    rest = sys.argv[2:]
    timeline = "--timeline" in rest[: rest.index("--")]
    cmd = rest[rest.index("--") + 1:]
    state = {"hwm": None, "cpu": None, "timeline": [], "done": False}

    subreaper = become_subreaper()
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
    _, status, _ = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    state["done"] = True
    th.join()
    orphans = reap_orphans(time.time() + 3)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "maxRssKiB": ru.ru_maxrss,
        "minflt": ru.ru_minflt,
        "orphans": orphans,
        "subreaper": subreaper,
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
