"""wmprof harness: runs inside every Python process of a wmprof run (stdlib only).

It is imported by the runner (``wmprof_run.py``), by ``sitecustomize`` (fallback for Python
processes started some other way), by the boot object that spawn and forkserver children unpickle
with their preparation data, and by the bootstrap prepended to the resource tracker's and the
forkserver's ``-c`` command. Importing it does nothing unless ``WMPROF_RUN_DIR`` is set.

Events go to ``$WMPROF_RUN_DIR/events-<pid>.ndjson`` only (protocol: docs/event-protocol.md),
written with unbuffered ``os.write`` appends; never to the script's stdout/stderr. No threads are
started. Copy counters are aggregated in place per (site, channel, direction) and flushed, at most
every 250 ms, from the hooks themselves; the multiprocessing hooks live in ``_mp`` and are installed
lazily by a post-import hook, so a process that never imports multiprocessing pays ~nothing.

This module keeps the state and the writer; ``_mp`` keeps the hooks and the hot paths.
"""
import os
import sys
import gc
import atexit
import _thread
from time import perf_counter as _pc, time as _time

PROTOCOL_VERSION = 1
HARNESS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FLUSH_S = 0.25  # aggregates at most every 250 ms; heap samples at most 4 Hz
BIG = 65536  # messages >= 64 KiB also get an individual `big` event

# Channel ids (index into CHANNELS). 1..5 double as classification priorities of stdlib frames:
# the strongest channel seen between the hook and the user frame wins (manager > executor >
# pool > queue > pipe).
CHANNELS = (None, "pipe", "queue", "pool", "executor", "manager", "process-args")
CH_PIPE, CH_QUEUE, CH_POOL, CH_EXECUTOR, CH_MANAGER, CH_PROCARGS = 1, 2, 3, 4, 5, 6
DIRECTIONS = ("send", "recv")
# Frame classes (besides channel ids 1..5): user code, neutral stdlib/harness code, the queue
# feeder thread's loop (pickles on behalf of an earlier put()), and the bottom of a
# multiprocessing child's own stack (BaseProcess._bootstrap: below it, a fork child still holds
# its parent's frames, which are not its callers).
K_STOP, K_USER, K_NEUTRAL, K_FEEDER = -2, -1, 0, 8
# File classes that need a look at the code object: "<string>" (manager proxy methods, the -c
# bootstraps), queues.py (the feeder loop), process.py (_bootstrap), managers.py (connection
# set-up and reference counting are the proxy's own traffic, not the user's call: site -1).
F_STRING, F_QUEUES, F_PROCESS, F_MANAGERS = 16, 17, 18, 19
_PROXY_INTERNALS = frozenset(("_connect", "_incref", "_decref"))

# Size histogram: upper bounds 64, 256, 1K, ... 64M (exclusive), then open-ended: 12 buckets.
# The bucket of n bytes is _BUCKET_OF_BITLEN[n.bit_length()] (n < 64: bucket 0).
HIST_LEN = 12
_BUCKET_OF_BITLEN = [0] * 7 + [min((b - 5) // 2, HIST_LEN - 1) for b in range(7, 128)]


# --------------------------------------------------------------------------------------------
# State. Hot-path structures are module-level lists/dicts that are only ever mutated in place
# (never rebound), so the hooks in _mp can hold them in closure cells.

class _State(object):
    __slots__ = (
        "active", "run_dir", "pid", "ppid", "fd", "fd_ident", "dead", "role", "pending_role",
        "start_method", "name", "hello_done", "bye_done", "exit_code", "boot_code", "in_start",
        "hooks", "tracemalloc", "last_heap", "pending", "lock", "cwd",
    )

    def __init__(self):
        self.active = False
        self.run_dir = None
        self.pid = os.getpid()
        self.ppid = os.getppid()
        self.fd = -1
        self.fd_ident = None
        self.dead = False
        self.role = None  # known role, or None while pending
        self.pending_role = "subprocess"
        self.start_method = None
        self.name = None
        self.hello_done = False
        self.bye_done = False
        self.exit_code = None  # main / passive processes: set by whoever knows it
        self.boot_code = None  # multiprocessing children: set when _bootstrap returns
        self.in_start = 0  # > 0 while this process is inside BaseProcess.start()
        self.hooks = False
        self.tracemalloc = False
        self.last_heap = 0.0
        self.pending = []  # lines waiting for the next flush (big events)
        self.lock = _thread.RLock()
        self.cwd = os.getcwd()  # to make relative code filenames absolute even after chdir()


_st = _State()

# Per slot, one preallocated record mutated in place (a list):
#   [0 .. 11]  one per size bucket: (messages << 64) + bytes, so that a message costs a single
#              `r[bucket] += n + ONE` (count and bytes split again at flush time);
#   I_SEC      (un)pickling seconds of the timed messages, I_TIMED how many were timed (see the
#              hot paths in _mp: busy sites are timed one message in 16);
#   I_TLAST    perf_counter() of the last timed message;  I_SLOT  the slot's own index.
# The timing fields (and _FLUSHED) are floats on purpose: a float comes from CPython's free list,
# while replacing a long-lived int frees a heap block allocated long ago. Such a block, freed in
# a pool the user's data has filled meanwhile, puts that pool at the head of its size class, and
# the user's short-lived ints then bounce between two pools on every allocation: measured +12-14 %
# CPU on a Pool worker's integer loop (bench (d)), from one int held across each task's unpickling.
R = []
ONE = 1 << 64
MASK = ONE - 1
I_SEC, I_TIMED, I_TLAST, I_SLOT = HIST_LEN, HIST_LEN + 1, HIST_LEN + 2, HIST_LEN + 3
_FLUSHED = []  # per slot: count at the last flush (a float, see above)
SLOT_KEY = []  # per slot: (site, chdir)
SLOT_OF = {}  # (site + 1) * 16 + chdir -> slot
# The slow path's site cache: chdir (channel * 2 + direction) -> {id(code): (code, {f_lasti:
# slot})}. Keyed by id because hashing a code object is not cached and costs up to ~0.6 us for
# a big module; the tuple keeps the code alive so that the id stays its own.
SITE_CACHE = [{} for _ in range(16)]
FILE_CLS = {}  # co_filename -> frame class (str keys: their hash is cached)
_STRING_CLS = {}  # id(code) of "<string>" code -> (code, class)
NEXT_FLUSH = [0.0]  # perf_counter() deadline of the next aggregate flush
SITES = []  # site id -> (file, line, function)
_SITE_OF = {}  # (file, line, function) -> site id
_SITE_SENT = []  # site id -> defined in this pid's log yet
_new_lock = _thread.allocate_lock()  # slot / site creation


# --------------------------------------------------------------------------------------------
# JSON without importing json on the common path.

def js(s):
    if s is None:
        return "null"
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    import json
    return json.dumps(s)


def _now_ms():
    return int(_time() * 1000)


# --------------------------------------------------------------------------------------------
# Writer

def _log_path():
    return os.path.join(_st.run_dir, "events-%d.ndjson" % _st.pid)


def _open_log():
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(_log_path(), flags, 0o600)
        s = os.fstat(fd)
    except OSError as e:
        _st.fd = -1
        _fail(e)
        return False
    _st.fd = fd
    _st.fd_ident = (s.st_dev, s.st_ino)
    return True


def _fail(err):
    """The log cannot be written: stop writing for good, leave a marker if we can."""
    _st.dead = True
    try:
        fd = os.open(os.path.join(_st.run_dir, "events-%d.failed" % _st.pid),
                     os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            os.write(fd, ("%s\n" % (err,)).encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:
        pass


def _write_raw(data):
    """Append bytes to our log. Checks that the fd is still our file (user code may have closed
    it and reused the number) before writing."""
    if _st.dead or not _st.active:
        return
    fd = _st.fd
    try:
        ok = False
        if fd >= 0:
            try:
                s = os.fstat(fd)
                ok = (s.st_dev, s.st_ino) == _st.fd_ident
            except OSError:
                ok = False
        if not ok:
            if not _open_log():
                return
            fd = _st.fd
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError as e:
        _fail(e)
    except Exception:
        pass


def _hello_line():
    st = _st
    role = st.role or st.pending_role
    name = st.name
    if name is None and role in ("worker", "manager"):
        try:
            name = sys.modules["multiprocessing.process"].current_process().name
        except Exception:
            name = None
    return ('{"e":"hello","v":%d,"pid":%d,"ppid":%d,"t":%d,"role":%s,"startMethod":%s,'
            '"name":%s,"runtime":"python","version":%s,"executable":%s,"tracemalloc":%s}\n' % (
                PROTOCOL_VERSION, st.pid, st.ppid, _now_ms(), js(role), js(st.start_method),
                js(name), js(sys.version.split()[0]), js(sys.executable or ""),
                "true" if st.tracemalloc else "false"))


def emit(lines):
    """Write lines (str, each ending in newline) now, after the hello and any queued lines."""
    st = _st
    if not st.active or st.dead:
        return
    with st.lock:
        head = ""
        if not st.hello_done:
            st.hello_done = True
            head = _hello_line()
        if st.pending:
            head += "".join(st.pending)
            del st.pending[:]
        _write_raw((head + lines).encode("utf-8", "surrogateescape"))


def site_line(site):
    """The `site` definition line for a site id if this pid has not written it yet, else ''.
    Marks it written: the caller must emit the returned text before the line that uses it."""
    if site < 0 or _SITE_SENT[site]:
        return ""
    _SITE_SENT[site] = True
    f, line, fn = SITES[site]
    return '{"e":"site","pid":%d,"id":%d,"file":%s,"line":%d,"function":%s}\n' % (
        _st.pid, site, js(f), line, js(fn))


def event(kind, body, site=-1):
    """Emit one event line now: body is the JSON text after the pid/t fields, without braces."""
    if not _st.active or _st.dead:
        return
    try:
        with _st.lock:
            pre = site_line(site) if site >= 0 else ""
            emit(pre + '{"e":"%s","pid":%d,"t":%d,%s}\n' % (kind, _st.pid, _now_ms(), body))
    except Exception:
        pass


def queue_big(slot, n, sec):
    """A message >= 64 KiB: queued, written with the next flush (<= 250 ms). sec < 0: the
    message was not timed (sampling); its slot's mean is used."""
    if slot < 0:
        return
    r = R[slot]
    if sec < 0:
        sec = r[I_SEC] / r[I_TIMED] if r[I_TIMED] else 0.0
    ns = int(sec * 1e9)
    try:
        site, chdir = SLOT_KEY[slot]
        with _st.lock:
            _st.pending.append(site_line(site) + (
                '{"e":"big","pid":%d,"t":%d,"site":%d,"ch":"%s","dir":"%s","bytes":%d,"ns":%d}\n'
                % (_st.pid, _now_ms(), site, CHANNELS[chdir >> 1], DIRECTIONS[chdir & 1], n, ns)))
    except Exception:
        pass


def _heap_line():
    try:
        blocks = sys.getallocatedblocks()
        cnt = gc.get_count()
        coll = [s.get("collections", 0) for s in gc.get_stats()][:3]
        while len(coll) < 3:
            coll.append(0)
        s = '{"e":"heap","pid":%d,"t":%d,"blocks":%d,"gcCount":[%d,%d,%d],"collections":[%d,%d,%d]' % (
            _st.pid, _now_ms(), blocks, cnt[0], cnt[1], cnt[2], coll[0], coll[1], coll[2])
        if _st.tracemalloc:
            import tracemalloc
            if tracemalloc.is_tracing():
                cur, peak = tracemalloc.get_traced_memory()
                s += ',"traced":[%d,%d]' % (cur, peak)
        return s + "}\n"
    except Exception:
        return ""


_SMAPS_FIELDS = (
    ("Rss", "rss"), ("Pss", "pss"), ("Shared_Clean", "sharedClean"), ("Shared_Dirty", "sharedDirty"),
    ("Private_Clean", "privateClean"), ("Private_Dirty", "privateDirty"), ("Swap", "swap"),
    ("Pss_Shmem", "pssShmem"))


def _mem_line():
    """This process's own memory at its end, read once from /proc/self (Linux). Short-lived fork
    children often exit between two ticks of the outside sampler; this is their last word on how
    many inherited pages they copied. Costs ~10 us per MB of RSS, once."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except Exception:
        return ""
    try:
        kb = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":"):
                kb[parts[0][:-1]] = int(parts[1])
        if "Rss" not in kb or "Private_Dirty" not in kb:
            return ""
        out = ['"%s":%d' % (key, kb.get(name, 0) * 1024) for name, key in _SMAPS_FIELDS]
        out.append('"uss":%d' % ((kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) * 1024))
        try:
            with open("/proc/self/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
            rest = stat[stat.rindex(")") + 2:].split()
            out.append('"minflt":%d,"majflt":%d' % (int(rest[7]), int(rest[9])))
        except Exception:
            pass
        try:
            # RssAnon, and VmHWM: the peak RSS of the whole process life, which the outside
            # sampler misses when the process frees a big buffer just before it ends (a worker
            # that received 4 GiB and returns)
            with open("/proc/self/status", "rb") as f:
                for line in f.read().decode("ascii", "replace").splitlines():
                    if line.startswith("VmHWM:"):
                        out.append('"hwm":%d' % (int(line.split()[1]) * 1024))
                    elif line.startswith("RssAnon:"):
                        out.append('"anon":%d' % (int(line.split()[1]) * 1024))
                        break
        except Exception:
            pass
        return '{"e":"mem","pid":%d,"t":%d,%s}\n' % (_st.pid, _now_ms(), ",".join(out))
    except Exception:
        return ""


def slot_ns(r, count):
    """Total (un)pickling ns of a slot: measured when every message was timed, else the timed
    messages' total scaled to the message count."""
    timed = r[I_TIMED]
    if timed >= count or not timed:
        return int(r[I_SEC] * 1e9)
    return int(r[I_SEC] * 1e9 * count / timed)


def flush(now=0, final=False, block=False):
    """Write changed cumulative counters (and a heap sample at <= 4 Hz; always when final).
    Called from the hooks when NEXT_FLUSH has passed (never blocking on another thread's flush),
    and at exit (block / final)."""
    st = _st
    if not now:
        now = _pc()
    NEXT_FLUSH[0] = now + FLUSH_S
    if not st.active:
        return
    if not st.lock.acquire(final or block):
        return
    try:
        if st.dead:
            return
        out = []
        rows = []
        for i in range(len(R)):
            r = R[i][:]  # a snapshot: other threads keep counting
            hist = [v >> 64 for v in r[:HIST_LEN]]
            c = sum(hist)
            if c != _FLUSHED[i]:
                _FLUSHED[i] = float(c)
                site, chdir = SLOT_KEY[i]
                if site >= 0 and not _SITE_SENT[site]:
                    out.append(site_line(site))
                rows.append('[%d,"%s","%s",%d,%d,%d,[%s]]' % (
                    site, CHANNELS[chdir >> 1], DIRECTIONS[chdir & 1], c,
                    sum([v & MASK for v in r[:HIST_LEN]]), slot_ns(r, c),
                    ",".join([str(x) for x in hist])))
        if rows:
            out.append('{"e":"agg","pid":%d,"t":%d,"rows":[%s]}\n' % (st.pid, _now_ms(), ",".join(rows)))
        if final or now - st.last_heap >= FLUSH_S:
            st.last_heap = now
            out.append(_heap_line())
        if out or st.pending or not st.hello_done:
            emit("".join(out))
    except Exception:
        pass
    finally:
        st.lock.release()


# --------------------------------------------------------------------------------------------
# Sites and slots (slow paths; the hot paths in _mp only hit the caches)

_STDLIB = []
for _m in (os, ):
    _p = os.path.dirname(getattr(_m, "__file__", "") or "")
    if _p:
        _STDLIB.append(os.path.join(_p, ""))
        _STDLIB.append(os.path.join(os.path.realpath(_p), ""))
_p = os.path.join(sys.base_prefix, "lib", "python%d.%d" % sys.version_info[:2], "")
_STDLIB.append(_p)
_STDLIB = tuple(sorted(set(_STDLIB)))
_HARNESS_PREFIXES = tuple(sorted({os.path.join(HARNESS_DIR, ""),
                                  os.path.join(os.path.realpath(HARNESS_DIR), "")}))
_CHANNEL_FILES = (
    ("multiprocessing/connection.py", CH_PIPE),
    ("multiprocessing/queues.py", CH_QUEUE),
    ("multiprocessing/pool.py", CH_POOL),
    ("concurrent/futures/process.py", CH_EXECUTOR),
    ("multiprocessing/managers.py", CH_MANAGER),
)


def _abs_file(fn):
    if fn.startswith("<") or os.path.isabs(fn):
        return fn
    return os.path.normpath(os.path.join(_st.cwd, fn))


def _classify_file(fn):
    if fn.startswith("<"):
        if fn == "<string>":
            return F_STRING
        if fn.startswith("<frozen"):
            return K_NEUTRAL
        return K_USER
    fn = _abs_file(fn)
    if fn.startswith(_HARNESS_PREFIXES):
        return K_NEUTRAL
    if fn.startswith(_STDLIB):
        if "site-packages" in fn or "dist-packages" in fn:
            return K_USER
        norm = fn.replace("\\", "/")
        if norm.endswith("multiprocessing/queues.py"):
            return F_QUEUES
        if norm.endswith("multiprocessing/process.py"):
            return F_PROCESS
        if norm.endswith("multiprocessing/managers.py"):
            return F_MANAGERS
        for suffix, ch in _CHANNEL_FILES:
            if norm.endswith(suffix):
                return ch
        return K_NEUTRAL
    return K_USER


def file_class(fn):
    k = FILE_CLS.get(fn)
    if k is None:
        k = FILE_CLS[fn] = _classify_file(fn)
    return k


def code_class(code, k):
    """Refine a file class >= F_STRING for one code object."""
    if k == F_QUEUES:
        return K_FEEDER if code.co_name == "_feed" else CH_QUEUE
    if k == F_PROCESS:
        return K_STOP if code.co_name == "_bootstrap" else K_NEUTRAL
    if k == F_MANAGERS:
        return K_STOP if code.co_name in _PROXY_INTERNALS else CH_MANAGER
    if k == F_STRING:
        e = _STRING_CLS.get(id(code))
        if e is not None and e[0] is code:
            return e[1]
        names = code.co_names
        if "_callmethod" in names:
            # Manager proxy methods are generated with exec(): "<string>" code calling _callmethod
            k = CH_MANAGER
        elif any(n.startswith(("multiprocessing", "_wmprof_harness")) for n in names):
            # the -c command of spawn children, the resource tracker, the forkserver; our boot
            k = K_NEUTRAL
        else:
            k = K_USER
        _STRING_CLS[id(code)] = (code, k)
        return k
    return k


_INTERNAL = {}  # id(code) -> (code, internal_code(code)): the code keeps its id its own


def internal_code(code):
    """True if code is multiprocessing's own (any module of the standard library's multiprocessing
    or concurrent.futures packages, "<string>" manager proxy methods) or the harness's: a call it
    makes to Connection.send_bytes / recv_bytes / recv_bytes_into is a Queue's, a Pool's, an
    executor's wake-up pipe or an authentication handshake, not the user's (see _mp). Cached
    per code object."""
    e = _INTERNAL.get(id(code))
    if e is not None and e[0] is code:
        return e[1]
    k = classify(code)
    if k == K_USER:
        v = False
    elif k != K_NEUTRAL:  # connection, queues, pool, futures/process, managers, process._bootstrap
        v = True
    else:
        fn = code.co_filename
        if fn.startswith("<"):
            v = False
        else:
            fn = _abs_file(fn)
            if fn.startswith(_HARNESS_PREFIXES):
                v = True
            elif not fn.startswith(_STDLIB):
                v = False
            else:
                norm = fn.replace("\\", "/")
                v = "/multiprocessing/" in norm or "/concurrent/futures/" in norm
    _INTERNAL[id(code)] = (code, v)
    return v


def classify(code):
    """Class of a code object: K_USER, K_NEUTRAL, a channel id, K_FEEDER or K_STOP."""
    k = FILE_CLS.get(code.co_filename)
    if k is None:
        k = file_class(code.co_filename)
    if k >= F_STRING:
        k = code_class(code, k)
    return k


def site_id(code, line):
    """Site id of (code, line); defines a new id on first sight."""
    fn = _abs_file(code.co_filename)
    func = getattr(code, "co_qualname", None) or code.co_name
    key = (fn, line, func)
    s = _SITE_OF.get(key)
    if s is None:
        with _new_lock:
            s = _SITE_OF.get(key)
            if s is None:
                s = len(SITES)
                SITES.append(key)
                _SITE_SENT.append(False)
                _SITE_OF[key] = s
    return s


def user_site(f):
    """Site of the innermost user frame at or above frame f, or -1."""
    while f is not None:
        code = f.f_code
        k = classify(code)
        if k < 0:
            if k == K_STOP:
                return -1
            return site_id(code, f.f_lineno or code.co_firstlineno)
        f = f.f_back
    return -1


def slot(site, chdir):
    """Counter slot of (site, channel*2+direction); creates it on first use."""
    key = (site + 1) * 16 + chdir
    s = SLOT_OF.get(key)
    if s is None:
        with _new_lock:
            s = SLOT_OF.get(key)
            if s is None:
                s = len(R)
                SLOT_KEY.append((site, chdir))
                _FLUSHED.append(0.0)
                rec = [0] * HIST_LEN + [0.0, 0.0, 0.0, s]
                R.append(rec)  # last: a flush that sees it sees the rest
                SLOT_OF[key] = s
    return s


def user_slot(code, f, chdir):
    """Slow path of the hot hooks: slot for the user frame f (code = f.f_code); caches it by
    (code, f_lasti) for next time."""
    s = slot(site_id(code, f.f_lineno or code.co_firstlineno), chdir)
    cache = SITE_CACHE[chdir]
    e = cache.get(id(code))
    if e is None or e[0] is not code:
        e = cache[id(code)] = (code, {})
    e[1][f.f_lasti] = s
    return s


def _reset_counters():
    for i in range(len(_FLUSHED)):
        _FLUSHED[i] = 0.0
    for r in R:
        r[:I_SLOT] = [0] * HIST_LEN + [0.0, 0.0, 0.0]
    for i in range(len(_SITE_SENT)):
        _SITE_SENT[i] = False


# --------------------------------------------------------------------------------------------
# Lifecycle

def _env_run_dir():
    d = os.environ.get("WMPROF_RUN_DIR")
    if not d:
        return None
    return os.path.abspath(d)


def _activate(role=None, pending_role="subprocess", start_method=None, name=None, hello=False):
    """Open this process's log. Idempotent; later calls only refine the identity."""
    st = _st
    if not st.active:
        run_dir = _env_run_dir()
        if run_dir is None:
            return False
        st.run_dir = run_dir
        st.pid = os.getpid()
        st.ppid = os.getppid()
        st.active = True  # the log file is created by the first write
        if os.environ.get("WMPROF_TRACEMALLOC") == "1":
            try:
                import tracemalloc
                if not tracemalloc.is_tracing():
                    tracemalloc.start()
                st.tracemalloc = True
            except Exception:
                pass
        atexit.register(_at_exit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_child)
    if role is not None and not st.hello_done:
        st.role = role
    st.pending_role = pending_role if role is None else role
    if start_method is not None and not st.hello_done:
        st.start_method = start_method
    if name is not None and not st.hello_done:
        st.name = name
    if hello:
        emit("")
    return True


def _auto_activate():
    """At import: activate with a pending identity guessed from argv (sitecustomize time)."""
    if _env_run_dir() is None:
        return
    argv = getattr(sys, "argv", None) or [""]
    a0 = argv[0] if argv else ""
    if "--multiprocessing-fork" in argv:
        # spawn child: the boot object in the preparation data finishes the job
        _activate(pending_role="worker", start_method="spawn")
        install_hooks()
    elif a0 == "-c" or a0 == "":
        # maybe the resource tracker or the forkserver (their bootstrap says so), or a user's -c
        _activate(pending_role="subprocess", start_method="exec")
        install_hooks()
    elif os.path.basename(a0) == "wmprof_run.py":
        _activate(pending_role="main")  # the runner calls start_main()
    else:
        _activate(role="subprocess", start_method="exec", hello=True)
        install_hooks()


def start_main():
    """Runner: this is the main process of the run."""
    if _activate(role="main", name="MainProcess", hello=True):
        install_hooks()
        return True
    return False


def _boot():
    """Spawn / forkserver child, while unpickling its preparation data (before __main__ is
    re-imported): activate and install the hooks. The _bootstrap hook writes the hello."""
    st = _st
    if st.start_method in (None, "exec"):
        st.start_method = None if st.hello_done else "spawn"
    if _activate(pending_role="worker", start_method=st.start_method or "spawn"):
        install_hooks()


def _passive(role):
    """Resource tracker / forkserver: hello and bye with their role, no copy hooks needed."""
    if _activate(role=role, start_method="exec", name=None):
        emit("")


def _run_passive(role, cmd):
    """Bootstrap of the resource tracker / forkserver command: run cmd as the __main__ code and
    remember its exit code for `bye`."""
    try:
        _passive(role)
    except Exception:
        pass
    g = sys.modules["__main__"].__dict__
    try:
        exec(cmd, g)
    except SystemExit as e:
        _st.exit_code = exit_code_of(e)
        raise
    except BaseException:
        _st.exit_code = 1
        raise
    _st.exit_code = 0


def exit_code_of(e):
    c = e.code
    if c is None:
        return 0
    if isinstance(c, int):
        return c
    return 1


def set_exit_code(code):
    _st.exit_code = code


def final(code):
    """Last words of this process incarnation: counters, heap, bye. Once."""
    st = _st
    if not st.active or st.bye_done:
        return
    try:
        flush(final=True)
        st.bye_done = True
        mem = _mem_line()
        if mem:
            emit(mem)
        emit('{"e":"bye","pid":%d,"t":%d,"exitCode":%s}\n' % (
            st.pid, _now_ms(), "null" if code is None else "%d" % code))
    except Exception:
        pass


def _at_exit():
    st = _st
    if st.bye_done or not st.active or st.pid != os.getpid():
        return
    code = st.boot_code if st.boot_code is not None else st.exit_code
    final(code)


def _after_fork_child():
    """New process from os.fork(): own log file, zeroed counters, identity pending."""
    st = _st
    try:
        parent_role = st.role or st.pending_role
        mp_start = st.in_start > 0
        st.lock = _thread.RLock()
        global _new_lock
        _new_lock = _thread.allocate_lock()
        st.pid = os.getpid()
        st.ppid = os.getppid()
        st.fd = -1  # the inherited fd is the parent's file; ours is opened by the first write
        st.fd_ident = None
        st.dead = False  # our own file may well be writable (e.g. EFBIG was the parent's)
        st.hello_done = False
        st.bye_done = False
        st.exit_code = None
        st.boot_code = None
        st.in_start = 0
        st.role = None
        st.name = None
        st.pending = []
        st.last_heap = 0.0
        NEXT_FLUSH[0] = 0.0
        _reset_counters()
        if parent_role == "forkserver":
            st.pending_role = "worker"
            st.start_method = "forkserver"
        elif mp_start:
            st.pending_role = "worker"
            st.start_method = "fork"
        else:
            st.pending_role = "subprocess"
            st.start_method = "fork"
        hooks = sys.modules.get("_wmprof_harness._mp")
        if hooks is not None:
            hooks.after_fork_child()
    except Exception:
        pass


def install_hooks():
    """Install the multiprocessing hooks: now for modules already imported, on import for the
    rest (a post-import hook, so a process that never uses multiprocessing pays nothing)."""
    st = _st
    if st.hooks or not st.active:
        return
    st.hooks = True
    try:
        from . import _mp
        _mp.install()
    except Exception as e:
        event("warn", '"msg":%s' % js("hooks not installed: %r" % (e,)))


# Runs at import (sitecustomize, preload, boot): no-op unless WMPROF_RUN_DIR is set.
try:
    _auto_activate()
except Exception:
    pass
