"""multiprocessing hooks of the wmprof harness.

Every pickled payload crosses ``reduction.ForkingPickler.dumps`` / ``loads`` (Queue, SimpleQueue,
JoinableQueue, Pipe/Connection, Pool tasks and results, ProcessPoolExecutor calls and results,
Manager proxy calls). The hooks sit there, on the class (``queues``, ``connection`` and
``sharedctypes`` each hold their own reference to the class, never to the function), plus on
``Connection.send`` / ``recv`` themselves, the busiest path. The channel is read from the
standard-library frames between the hook and the first user frame; the site is that user frame.
See "Hot paths" below for what a message costs.

Payloads pickled on another thread carry their site with them:
- ``Queue.put`` pickles in the feeder thread: ``Queue._start_thread`` swaps the buffer for a deque
  that records the put() site next to each object and hands it to the feeder on popleft;
- Pool: ``ApplyResult``/``IMapIterator`` record their site (they are built in the caller's
  thread), tasks and results carry the job id;
- ProcessPoolExecutor: ``submit`` records work_id -> site before the original runs (the manager
  thread may pickle the call item before submit returns).

Process objects pickled at start (spawn, forkserver) are counted as ``process-args`` by
``reduction.dump``; their children boot the harness while unpickling their preparation data.
Lifecycle (child, reap, bye), shared memory and manager events come from the other patches.

Patches are applied when each module finishes importing (a meta path finder wraps its loader),
or at once for modules already imported.
"""
import os
import sys
import collections
from _thread import get_ident
from time import perf_counter_ns

from . import (
    _st, R, ONE, REC_LEN, I_NS, I_TIMED, I_TLAST, I_SLOT, SITE_CACHE, FILE_CLS, NEXT_FLUSH,
    HARNESS_DIR, CH_QUEUE, CH_POOL, CH_EXECUTOR, CH_PROCARGS, K_FEEDER, K_USER, K_STOP, BIG,
    FLUSH_NS,
    _BUCKET_OF_BITLEN, classify, file_class, code_class, user_slot, user_site, slot, flush,
    queue_big, event, js, final, _activate,
)

_pc = perf_counter_ns
_gf = sys._getframe
_BK = _BUCKET_OF_BITLEN
_deque = collections.deque

_FEEDER = {}  # feeder thread ident -> send slot of the object it is pickling
_EXEC_SITES = {}  # (id(pending_work_items), work_id) -> site of submit()
_EXEC_RESULTS = {}  # (manager thread ident, work_id) -> site, for the result coming back
_POOL_JOBS = None  # job id -> ApplyResult / IMapIterator (weak values), created lazily


def after_fork_child():
    _FEEDER.clear()
    _EXEC_SITES.clear()
    _EXEC_RESULTS.clear()
    if _POOL_JOBS is not None:
        _POOL_JOBS.clear()


def _wraps(wrapper, orig):
    for a in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, a, getattr(orig, a))
        except Exception:
            pass
    wrapper.__wrapped__ = orig
    wrapper._wm_orig = orig
    return wrapper


def _is_wrapped(f):
    return getattr(f, "_wm_orig", None) is not None


# ------------------------------------------------------------------------------------------------
# Specials: payloads pickled / unpickled with no user frame on the stack

def _pool_site(job):
    jobs = _POOL_JOBS
    if jobs is None:
        return -1
    r = jobs.get(job)
    return getattr(r, "_wm_site", -1) if r is not None else -1


def _send_special(obj, ch):
    if ch == K_FEEDER:
        s = _FEEDER.get(get_ident())
        return s if s is not None else slot(-1, CH_QUEUE * 2)
    if ch == CH_POOL and type(obj) is tuple and len(obj) == 5:
        return slot(_pool_site(obj[0]), CH_POOL * 2)
    return slot(-1, ch * 2)


def _recv_special(obj, ch):
    if ch == CH_POOL:
        if type(obj) is tuple and len(obj) == 3:
            return slot(_pool_site(obj[0]), CH_POOL * 2 + 1)
    elif ch == CH_EXECUTOR:
        if type(obj).__name__ == "_ResultItem":
            site = _EXEC_RESULTS.pop((get_ident(), getattr(obj, "work_id", None)), -1)
            return slot(site, CH_EXECUTOR * 2 + 1)
    return slot(-1, ch * 2 + 1)


# ------------------------------------------------------------------------------------------------
# Hot paths
#
# Four hooks see every payload: Connection.send / recv (pipes, Pool task and result pipes,
# manager connections; identical 3.8-3.13, replaced whole so that their caller is the user frame)
# and ForkingPickler.dumps / loads (SimpleQueue, Queue.get, the Queue feeder thread, direct use).
# Every bytecode on the common path costs ~50-100 machine instructions, so it is kept short:
#
# - The site is found before pickling: a one-entry inline cache (a closure cell holding a tuple,
#   replaced atomically) compares the user frame's code object and f_lasti with the previous
#   call's and yields the slot's record. On a miss, _locate() walks the stack classifying frames
#   by co_filename (a str key: its hash is cached; a code object's is not and costs up to
#   0.6 us) and finds the slot through the id(code)-keyed site cache.
# - Counting is one `rec[bucket] += n + ONE`: each histogram bucket holds (count << 64) + bytes.
# - Pickling time: the first message after a cache miss is timed, and so is every message while
#   the site is not hot. A site is hot when its last timed message took < 20 us and came < 5 ms
#   after the one before; then, while the cache keeps hitting, only one message in 16 is
#   timed and the site's total is extrapolated from its timed messages (`slot_ns`). Timed
#   messages also drive the 250 ms flush check.
#
# Only what the common path needs, and what must be per hook, is a closure cell: every cell is
# copied into the frame at each call and released at its end, used or not. The rest are module
# globals (cached LOAD_GLOBAL on 3.11+). Not keyword-only defaults: those are re-filled from
# __kwdefaults__ (a dict lookup each) on every call.

SKIP = 15  # untimed messages between two timed ones while a site is hot
HOT_NS = 20_000  # ... i.e. while its last timed message took less than this
HOT_GAP = 5_000_000  # ... and came less than this after the one before
try:  # benchmarks under valgrind (~50x slower) scale these, see bench/overhead.mjs --instructions
    _scale = float(os.environ.get("WMPROF_HOT_SCALE") or 1)
    HOT_NS, HOT_GAP = int(HOT_NS * _scale), int(HOT_GAP * _scale)
except ValueError:
    pass
_DUMMY = [0] * REC_LEN  # counts nothing: used if the site lookup itself fails
_DUMMY[I_SLOT] = -1


def _locate(f, obj, d):
    """(record, user frame, depth) for a payload pickled (d=0) / unpickled (d=1) below frame f,
    the hook's caller. depth: 0 if f is the user frame, 1 if f.f_back is, else -1 (no user frame:
    the site comes from the feeder / pool job / executor work item, or is unknown)."""
    try:
        first = f
        ch = 1
        while f is not None:
            code = f.f_code
            k = FILE_CLS.get(code.co_filename)
            if k is None:
                k = file_class(code.co_filename)
            if k > 15:
                k = code_class(code, k)
            if k < 0:
                if k == K_STOP:
                    f = None
                break
            if k > ch:
                if k == K_FEEDER:
                    if d == 0:  # the queue feeder: the site came with the object
                        ch = K_FEEDER
                        f = None
                        break
                else:
                    ch = k
            f = f.f_back
        if f is None:
            return R[(_recv_special if d else _send_special)(obj, ch)], None, -1
        lasti = f.f_lasti
        chdir = ch * 2 + d
        e = SITE_CACHE[chdir].get(id(code))
        s = e[1].get(lasti) if e is not None and e[0] is code else None
        if s is None:
            s = user_slot(code, f, chdir)
        return R[s], f, (0 if f is first else 1 if f is first.f_back else -1)
    except Exception:
        return _DUMMY, None, -1


def _timed(r, n, t0, t1):
    """Book-keeping of a timed message of n bytes; returns how many to leave untimed next."""
    dt = t1 - t0
    r[I_NS] += dt
    r[I_TIMED] += 1
    hot = dt < HOT_NS and t1 - r[I_TLAST] < HOT_GAP
    r[I_TLAST] = t1
    if n >= BIG:
        queue_big(r[I_SLOT], n, dt)
    if t1 >= NEXT_FLUSH[0]:
        flush(t1)
    return SKIP if hot else 0


def _untimed_big(r, n):
    queue_big(r[I_SLOT], n, -1)


def _make_dumps(orig):
    _orig = orig
    _lc = (None, None, -1, 0, _DUMMY)  # (caller code, user code, user f_lasti, depth, record)
    _k = 0  # messages to leave untimed
    _fs = -1  # the feeder's last timed slot: it samples runs of one put() site only

    def dumps(cls, obj, protocol=None):
        nonlocal _lc, _k, _fs
        f = _gf(1)
        lc = _lc
        u = (f.f_back if lc[3] else f) if f.f_code is lc[0] else None
        if u is not None and u.f_code is lc[1] and u.f_lasti == lc[2]:
            r = lc[4]
            if _k:
                _k -= 1
                buf = _orig(cls, obj, protocol)
                n = len(buf)
                if n < 64:
                    r[0] += n + ONE
                else:
                    r[_BK[n.bit_length()]] += n + ONE
                    if n >= 65536:
                        _untimed_big(r, n)
                return buf
        elif f.f_code is _FEED[0]:  # the Queue feeder thread, pickling for an earlier put()
            s = _FEEDER.get(get_ident())
            if s is None:
                r = _locate(f, obj, 0)[0]
            else:
                r = R[s]
                if _k and s == _fs:
                    _k -= 1
                    buf = _orig(cls, obj, protocol)
                    n = len(buf)
                    if n < 64:
                        r[0] += n + ONE
                    else:
                        r[_BK[n.bit_length()]] += n + ONE
                        if n >= 65536:
                            _untimed_big(r, n)
                    return buf
                _fs = s
        else:
            r, u, depth = _locate(f, obj, 0)
            if depth >= 0:
                _lc = (f.f_code, u.f_code, u.f_lasti, depth, r)
        t0 = _pc()
        buf = _orig(cls, obj, protocol)
        t1 = _pc()
        n = len(buf)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _k = _timed(r, n, t0, t1)
        return buf
    return dumps


def _make_loads(orig):
    _orig = orig
    _lc = (None, None, -1, 0, _DUMMY)
    _k = 0

    def loads(data, *args, **kwargs):
        nonlocal _lc, _k
        f = _gf(1)
        lc = _lc
        u = (f.f_back if lc[3] else f) if f.f_code is lc[0] else None
        if u is not None and u.f_code is lc[1] and u.f_lasti == lc[2]:
            r = lc[4]
            if _k:
                _k -= 1
                obj = _orig(data, *args, **kwargs) if (args or kwargs) else _orig(data)
                n = len(data)
                if n < 64:
                    r[0] += n + ONE
                else:
                    r[_BK[n.bit_length()]] += n + ONE
                    if n >= 65536:
                        _untimed_big(r, n)
                return obj
        else:
            r = None
        t0 = _pc()
        obj = _orig(data, *args, **kwargs) if (args or kwargs) else _orig(data)
        t1 = _pc()
        if r is None:
            # the site of a received payload may depend on what it is (pool / executor results)
            r, u, depth = _locate(f, obj, 1)
            if depth >= 0:
                _lc = (f.f_code, u.f_code, u.f_lasti, depth, r)
        n = len(data)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _k = _timed(r, n, t0, t1)
        return obj
    return loads


_FEED = [None]  # code object of Queue._feed, once queues is imported


def _patch_connection(m):
    """Connection.send / recv (identical 3.8-3.13) do their own accounting: their caller is the
    user frame itself in the common case, which saves a layer and a frame step. They pickle with
    the original ForkingPickler functions (not counted twice) as long as the module's
    _ForkingPickler is the class we hooked; otherwise they defer to it."""
    CB = m._ConnectionBase
    red = sys.modules.get("multiprocessing.reduction")
    if red is None or _is_wrapped(CB.__dict__["send"]):
        return
    FP = red.ForkingPickler
    dumps_hook = FP.__dict__["dumps"].__func__
    loads_hook = FP.__dict__["loads"]
    loads_hook = getattr(loads_hook, "__func__", loads_hook)
    if not (_is_wrapped(dumps_hook) and _is_wrapped(loads_hook)):
        return
    _odumps = dumps_hook._wm_orig
    _oloads = loads_hook._wm_orig
    _FP = FP
    _mod = m
    _slc = (None, -1, _DUMMY)  # (user code, f_lasti, record) of the last send
    _rlc = (None, -1, _DUMMY)  # ... and of the last recv
    _sk = 0  # sends to leave untimed
    _rk = 0  # receives to leave untimed
    orig_send = CB.__dict__["send"]
    orig_recv = CB.__dict__["recv"]

    def send(self, obj):
        nonlocal _slc, _sk
        self._check_closed()
        self._check_writable()
        if _mod._ForkingPickler is not _FP:
            return self._send_bytes(_mod._ForkingPickler.dumps(obj))
        f = _gf(1)
        lc = _slc
        if f.f_code is lc[0] and f.f_lasti == lc[1]:
            r = lc[2]
            if _sk:
                _sk -= 1
                buf = _odumps(_FP, obj)
                n = len(buf)
                if n < 64:
                    r[0] += n + ONE
                else:
                    r[_BK[n.bit_length()]] += n + ONE
                    if n >= 65536:
                        _untimed_big(r, n)
                return self._send_bytes(buf)
        else:
            r, u, depth = _locate(f, obj, 0)
            if depth == 0:
                _slc = (f.f_code, f.f_lasti, r)
        t0 = _pc()
        buf = _odumps(_FP, obj)
        t1 = _pc()
        n = len(buf)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _sk = _timed(r, n, t0, t1)
        self._send_bytes(buf)

    def recv(self):
        nonlocal _rlc, _rk
        self._check_closed()
        self._check_readable()
        buf = self._recv_bytes()
        if _mod._ForkingPickler is not _FP:
            return _mod._ForkingPickler.loads(buf.getbuffer())
        data = buf.getbuffer()
        f = _gf(1)
        lc = _rlc
        if f.f_code is lc[0] and f.f_lasti == lc[1]:
            r = lc[2]
            if _rk:
                _rk -= 1
                obj = _oloads(data)
                n = len(data)
                if n < 64:
                    r[0] += n + ONE
                else:
                    r[_BK[n.bit_length()]] += n + ONE
                    if n >= 65536:
                        _untimed_big(r, n)
                return obj
        else:
            r = None
        t0 = _pc()
        obj = _oloads(data)
        t1 = _pc()
        if r is None:
            # the site of a received payload may depend on what it is (pool / executor results)
            r, u, depth = _locate(f, obj, 1)
            if depth == 0:
                _rlc = (f.f_code, f.f_lasti, r)
        n = len(data)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _rk = _timed(r, n, t0, t1)
        return obj

    CB.send = _wraps(send, orig_send)
    CB.recv = _wraps(recv, orig_recv)


def _count(s, n, t0, t1):
    """Count one timed message on slot s (slow paths: process-args)."""
    r = R[s]
    r[0 if n < 64 else _BUCKET_OF_BITLEN[n.bit_length()]] += n + ONE
    _timed(r, n, t0, t1)


def _walk(f):
    """(channel, user frame or None) for a stack starting at frame f."""
    ch = 1
    while f is not None:
        code = f.f_code
        k = classify(code)
        if k < 0:
            return ch, (f if k == K_USER else None)
        if k > ch and k != K_FEEDER:
            ch = k
        f = f.f_back
    return ch, None


_PUT_LC = [(None, None, -1, 0)]  # SiteDeque.append's inline cache: (put code, user code, lasti, slot)


def _put_slot(obj, dq):
    """Send slot for an object appended to a Queue buffer (runs in the putting thread)."""
    put = _gf(2)
    ch, f = _walk(put)
    if f is not None:
        code = f.f_code
        e = SITE_CACHE[ch * 2].get(id(code))
        s = e[1].get(f.f_lasti) if e is not None and e[0] is code else None
        if s is None:
            s = user_slot(code, f, ch * 2)
        if f is put.f_back:
            _PUT_LC[0] = (put.f_code, code, f.f_lasti, s)
        return s
    if type(obj).__name__ == "_CallItem":
        wid = getattr(obj, "work_id", None)
        pwi = getattr(dq, "_wm_pwi", None)
        site = _EXEC_SITES.pop((id(pwi), wid), -1)
        _EXEC_RESULTS[(get_ident(), wid)] = site
        return slot(site, CH_EXECUTOR * 2)
    return slot(-1, ch * 2)


class SiteDeque(_deque):
    """Queue._buffer replacement: remembers the put() site of every object, in FIFO order, and
    tells the feeder thread which site it is pickling for."""

    def __init__(self, *args):
        _deque.__init__(self, *args)
        self._wm_slots = _deque()
        self._wm_pwi = None

    def append(self, obj, _append=_deque.append, _gf=_gf, _lc=_PUT_LC, _put_slot=_put_slot):
        try:
            f = _gf(1)  # Queue.put / JoinableQueue.put / _finalize_close
            lc = _lc[0]
            u = f.f_back
            if f.f_code is lc[0] and u is not None and u.f_code is lc[1] and u.f_lasti == lc[2]:
                s = lc[3]
            else:
                s = _put_slot(obj, self)
        except Exception:
            s = None
        self._wm_slots.append(s)  # before the object: the feeder may pop it at once
        _append(self, obj)

    def popleft(self, _popleft=_deque.popleft, _feeder=_FEEDER, _get_ident=get_ident):
        obj = _popleft(self)
        slots = self._wm_slots
        _feeder[_get_ident()] = slots.popleft() if slots else None
        return obj

    def clear(self):
        _deque.clear(self)
        self._wm_slots.clear()


# ------------------------------------------------------------------------------------------------
# Patches, one per module

def _patch_reduction(m):
    FP = m.ForkingPickler
    raw = FP.__dict__.get("dumps")
    func = getattr(raw, "__func__", None)
    if func is not None and not _is_wrapped(func):
        FP.dumps = classmethod(_wraps(_make_dumps(func), func))
    raw = FP.__dict__.get("loads")
    if raw is not None and not _is_wrapped(raw):
        orig = raw.__func__ if isinstance(raw, staticmethod) else raw
        FP.loads = staticmethod(_wraps(_make_loads(orig), orig))
    if not _is_wrapped(m.dump):
        orig_dump = m.dump
        from multiprocessing.process import BaseProcess

        def dump(obj, file, protocol=None):
            if not isinstance(obj, BaseProcess):
                return orig_dump(obj, file, protocol)
            try:
                p0 = file.tell()
            except Exception:
                p0 = None
            t0 = _pc()
            r = orig_dump(obj, file, protocol)
            t1 = _pc()
            if p0 is not None:
                try:
                    n = file.tell() - p0
                    _count(slot(user_site(_gf(1)), CH_PROCARGS * 2), n, t0, t1)
                except Exception:
                    pass
            return r
        m.dump = _wraps(dump, orig_dump)


def _is_manager_target(p):
    t = getattr(p, "_target", None)
    return (getattr(t, "__name__", "") == "_run_server"
            and getattr(t, "__module__", "") == "multiprocessing.managers")


def _patch_process(m):
    BP = m.BaseProcess
    if not _is_wrapped(BP.__dict__["start"]):
        orig_start = BP.__dict__["start"]

        def start(self):
            role = "manager" if _is_manager_target(self) else "worker"  # start() drops _target
            _st.in_start += 1
            try:
                orig_start(self)
            finally:
                _st.in_start -= 1
            try:
                popen = self._popen
                event("child", '"child":%d,"startMethod":%s,"role":"%s","name":%s' % (
                    popen.pid, js(getattr(popen, "method", None)), role, js(self.name)))
            except Exception:
                pass
        BP.start = _wraps(start, orig_start)

    if not _is_wrapped(BP.__dict__["_bootstrap"]):
        orig_boot = BP.__dict__["_bootstrap"]

        def _bootstrap(self, *args, **kwargs):
            try:
                _activate(role="manager" if _is_manager_target(self) else "worker",
                          start_method=_st.start_method or "fork", name=self.name, hello=True)
            except Exception:
                pass
            code = orig_boot(self, *args, **kwargs)
            try:
                _st.boot_code = code
                util = sys.modules.get("multiprocessing.util")
                if util is None or getattr(util, "_exiting", False):
                    final(code)  # <= 3.12: util._exit_function already ran inside _bootstrap
                else:
                    flush(0, block=True)  # 3.13: atexit runs _exit_function next; final() there
            except Exception:
                pass
            return code
        BP._bootstrap = _wraps(_bootstrap, orig_boot)


def _patch_util(m):
    if not _is_wrapped(m._exit_function):
        orig_exit = m._exit_function

        def _exit_function(*args, **kwargs):
            try:
                return orig_exit(*args, **kwargs)
            finally:
                try:
                    if _st.boot_code is not None:
                        final(_st.boot_code)
                    else:
                        flush(0, block=True)
                except Exception:
                    pass
        m._exit_function = _wraps(_exit_function, orig_exit)
        # Registered at import with the original; swap so that children whose atexit runs it
        # (3.13 fork/forkserver children, spawn children) get the final flush after it.
        try:
            import atexit
            atexit.unregister(orig_exit)
            atexit.register(m._exit_function)
        except Exception:
            pass

    if hasattr(m, "spawnv_passfds") and not _is_wrapped(m.spawnv_passfds):
        orig_spawnv = m.spawnv_passfds

        def spawnv_passfds(path, args, passfds):
            role = None
            try:
                args = list(args)
                i = args.index("-c")
                cmd = args[i + 1]
                if "multiprocessing.resource_tracker import main" in cmd:
                    role = "resource_tracker"
                elif "multiprocessing.forkserver import main" in cmd:
                    role = "forkserver"
                if role is not None:
                    args[i + 1] = passive_command(role, cmd)
            except Exception:
                pass
            pid = orig_spawnv(path, args, passfds)
            if role is not None:
                event("child", '"child":%d,"startMethod":"exec","role":"%s","name":null' % (pid, role))
            return pid
        m.spawnv_passfds = _wraps(spawnv_passfds, orig_spawnv)


_IMPORT_HARNESS = (
    "import sys\n"
    "h=sys.modules.get('_wmprof_harness')\n"
    "if h is None:\n"
    " d=%r\n"
    " sys.path.insert(0,d)\n"
    " try:\n"
    "  import _wmprof_harness as h\n"
    " except Exception:\n"
    "  h=None\n"
    " finally:\n"
    "  try:sys.path.remove(d)\n"
    "  except ValueError:pass\n"
) % (HARNESS_DIR,)


def passive_command(role, cmd):
    """The -c command of the resource tracker / forkserver, prefixed with our bootstrap (works
    under -I: the harness dir is put on sys.path only while importing the harness)."""
    return (_IMPORT_HARNESS
            + "if h is None:exec(%r)\n" % (cmd,)
            + "else:h._run_passive(%r,%r)\n" % (role, cmd))


class _Boot(object):
    """Rides in the preparation data of spawn / forkserver children; unpickling it imports the
    harness and installs the hooks before the child re-imports __main__ or unpickles its Process.
    Preparation data is not counted as process-args, so this costs the user nothing."""
    __slots__ = ()
    SRC = _IMPORT_HARNESS + "if h is not None:h._boot()\n"

    def __reduce__(self):
        return (exec, (self.SRC, {}))


_BOOT = _Boot()


def _patch_spawn(m):
    if not _is_wrapped(m.get_preparation_data):
        orig = m.get_preparation_data

        def get_preparation_data(name, *args, **kwargs):
            d = orig(name, *args, **kwargs)
            try:
                if _st.active and not _st.dead:
                    d["_wmprof_boot"] = _BOOT
            except Exception:
                pass
            return d
        m.get_preparation_data = _wraps(get_preparation_data, orig)


def _idle_condition_class(threading):
    Condition = threading.Condition

    class IdleCondition(Condition):
        """Queue._notempty while the feeder runs (same lock as the one it replaces). Counters are
        otherwise flushed from the hooks, i.e. when the next message comes: a worker that puts
        its results and then idles, or is killed, would keep its last burst unwritten. So the
        feeder's untimed wait() first waits 250 ms, flushes if nothing came, then waits on; _feed
        takes an early return like a spurious wake-up. No thread of ours: the feeder is
        multiprocessing's."""

        def wait(self, timeout=None):
            if timeout is None:
                if Condition.wait(self, FLUSH_NS / 1e9):
                    return True
                try:
                    flush(0, block=True)
                except Exception:
                    pass
            return Condition.wait(self, timeout)
    return IdleCondition


def _patch_queues(m):
    Q = m.Queue
    _FEED[0] = getattr(Q.__dict__.get("_feed"), "__func__", Q._feed).__code__
    if not _is_wrapped(Q.__dict__["_start_thread"]):
        orig = Q.__dict__["_start_thread"]
        threading = m.threading
        Condition = threading.Condition
        IdleCondition = _idle_condition_class(threading)

        def _start_thread(self):
            # runs inside put(), which holds _notempty: the replacement shares its lock, and is
            # in place before the feeder thread and the close finalizer get their references
            try:
                dq = SiteDeque()
                dq._wm_pwi = getattr(self, "pending_work_items", None)  # executor's call queue
                self._buffer = dq
                old = self._notempty
                if type(old) is Condition:
                    self._notempty = IdleCondition(old._lock)
            except Exception:
                pass
            return orig(self)
        Q._start_thread = _wraps(_start_thread, orig)


def _make_result_init(orig):
    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        try:
            global _POOL_JOBS
            if _POOL_JOBS is None:
                import weakref
                _POOL_JOBS = weakref.WeakValueDictionary()
            self._wm_site = user_site(_gf(1))
            _POOL_JOBS[self._job] = self
        except Exception:
            pass
    return _wraps(__init__, orig)


def _patch_pool(m):
    for cls in (m.ApplyResult, m.IMapIterator):
        orig = cls.__dict__["__init__"]
        if not _is_wrapped(orig):
            cls.__init__ = _make_result_init(orig)


def _patch_futures(m):
    PPE = m.ProcessPoolExecutor
    orig = PPE.__dict__["submit"]
    if _is_wrapped(orig):
        return

    def submit(*args, **kwargs):
        try:
            self = args[0]
            _EXEC_SITES[(id(self._pending_work_items), self._queue_count)] = user_site(_gf(1))
        except Exception:
            pass
        return orig(*args, **kwargs)
    PPE.submit = _wraps(submit, orig)


def _shm(op, kind, name, nbytes, site):
    event("shm", '"op":"%s","kind":"%s","name":%s,"bytes":%d,"site":%d' % (
        op, kind, js(str(name)), nbytes, site), site)


def _patch_managers(m):
    BM = m.BaseManager
    if not _is_wrapped(BM.__dict__["start"]):
        orig_start = BM.__dict__["start"]

        def start(self, *args, **kwargs):
            r = orig_start(self, *args, **kwargs)
            try:
                _shm("create", "manager", self._address, 0, user_site(_gf(1)))
            except Exception:
                pass
            return r
        BM.start = _wraps(start, orig_start)

    if not _is_wrapped(BM.__dict__["_create"]):
        orig_create = BM.__dict__["_create"]

        def _create(self, *args, **kwargs):
            r = orig_create(self, *args, **kwargs)
            try:
                token = r[0]
                _shm("create", "manager", "%s:%s@%s" % (token.typeid, token.id, token.address), 0,
                     user_site(_gf(1)))
            except Exception:
                pass
            return r
        BM._create = _wraps(_create, orig_create)

    raw = BM.__dict__.get("_finalize_manager")
    func = getattr(raw, "__func__", None)
    if func is not None and not _is_wrapped(func):
        def _finalize_manager(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            finally:
                try:
                    _shm("unlink", "manager", args[1] if len(args) > 1 else kwargs.get("address"), 0, -1)
                except Exception:
                    pass
        BM._finalize_manager = staticmethod(_wraps(_finalize_manager, func))


def _patch_shm(m):
    SM = m.SharedMemory
    if not _is_wrapped(SM.__dict__["__init__"]):
        orig_init = SM.__dict__["__init__"]

        def __init__(self, *args, **kwargs):
            orig_init(self, *args, **kwargs)
            try:
                create = kwargs.get("create", args[1] if len(args) > 1 else False)
                _shm("create" if create else "attach", "shared_memory", self.name, self.size,
                     user_site(_gf(1)))
            except Exception:
                pass
        SM.__init__ = _wraps(__init__, orig_init)

    for op in ("close", "unlink"):
        orig = SM.__dict__.get(op)
        if orig is None or _is_wrapped(orig):
            continue

        def make(orig, op):
            def wrapper(self, *args, **kwargs):
                r = orig(self, *args, **kwargs)
                try:
                    flag = "_wm_" + op
                    if not self.__dict__.get(flag):
                        self.__dict__[flag] = True
                        _shm(op, "shared_memory", self.name, self.size, user_site(_gf(1)))
                except Exception:
                    pass
                return r
            return _wraps(wrapper, orig)
        setattr(SM, op, make(orig, op))


def _patch_heap(m):
    A = getattr(m, "Arena", None)
    if A is None or _is_wrapped(A.__dict__["__init__"]):
        return
    orig = A.__dict__["__init__"]

    def __init__(self, size, *args, **kwargs):
        orig(self, size, *args, **kwargs)
        try:
            fd = args[0] if args else kwargs.get("fd", -1)
            name = getattr(self, "name", None)
            afd = getattr(self, "fd", -1)
            if afd is not None and afd >= 0:
                name = "pym-ino%d" % os.fstat(afd).st_ino  # same in every process mapping it
            _shm("create" if fd == -1 else "attach", "sharedctypes", name or "arena", self.size,
                 user_site(_gf(1)))
        except Exception:
            pass
    A.__init__ = _wraps(__init__, orig)


def _make_poll(orig):
    def poll(self, *args, **kwargs):
        rc = orig(self, *args, **kwargs)
        if rc is not None:
            try:
                if not self.__dict__.get("_wm_reaped"):
                    self.__dict__["_wm_reaped"] = True
                    event("reap", '"child":%d,"exitCode":%d' % (self.pid, rc))
            except Exception:
                pass
        return rc
    return _wraps(poll, orig)


def _patch_popen(m):
    P = m.Popen
    orig = P.__dict__.get("poll")
    if orig is not None and not _is_wrapped(orig):
        P.poll = _make_poll(orig)


def _patch_forkserver(m):
    FS = m.ForkServer
    orig = FS.__dict__.get("set_forkserver_preload")
    if orig is not None and not _is_wrapped(orig):
        def set_forkserver_preload(self, modules_names, *args, **kwargs):
            r = orig(self, modules_names, *args, **kwargs)
            _add_preload(self)
            return r
        FS.set_forkserver_preload = _wraps(set_forkserver_preload, orig)
    fs = getattr(m, "_forkserver", None)
    if fs is not None:
        _add_preload(fs)


def _add_preload(fs):
    try:
        mods = list(getattr(fs, "_preload_modules", None) or [])
        if "_wmprof_harness" not in mods:
            fs._preload_modules = mods + ["_wmprof_harness"]
    except Exception:
        pass


PATCHES = {
    "multiprocessing.process": _patch_process,
    "multiprocessing.reduction": _patch_reduction,
    "multiprocessing.connection": _patch_connection,
    "multiprocessing.util": _patch_util,
    "multiprocessing.spawn": _patch_spawn,
    "multiprocessing.queues": _patch_queues,
    "multiprocessing.pool": _patch_pool,
    "multiprocessing.managers": _patch_managers,
    "multiprocessing.shared_memory": _patch_shm,
    "multiprocessing.heap": _patch_heap,
    "multiprocessing.popen_fork": _patch_popen,
    "multiprocessing.popen_forkserver": _patch_popen,
    "multiprocessing.forkserver": _patch_forkserver,
    "concurrent.futures.process": _patch_futures,
}


def _apply(name, module):
    try:
        PATCHES[name](module)
    except Exception as e:
        event("warn", '"msg":%s' % js("hook on %s not installed: %r" % (name, e)))


# ------------------------------------------------------------------------------------------------
# Post-import hook

class _Loader(object):
    def __init__(self, loader, name):
        self.loader = loader
        self.name = name

    def create_module(self, spec):
        cm = getattr(self.loader, "create_module", None)
        return cm(spec) if cm is not None else None

    def exec_module(self, module):
        loader = self.loader
        try:
            module.__spec__.loader = loader
            module.__loader__ = loader
        except Exception:
            pass
        loader.exec_module(module)
        _apply(self.name, module)


class PostImportFinder(object):
    """Patches the watched modules right after they execute, before the importer sees them."""

    def __init__(self):
        self._busy = set()

    def find_spec(self, name, path=None, target=None):
        if name not in PATCHES or name in self._busy:
            return None
        self._busy.add(name)
        try:
            spec = None
            for finder in sys.meta_path:
                if finder is self or isinstance(finder, PostImportFinder):
                    continue
                fs = getattr(finder, "find_spec", None)
                if fs is None:
                    continue
                spec = fs(name, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader, name)
        return spec

    def invalidate_caches(self):
        pass


def install():
    if not any(isinstance(f, PostImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, PostImportFinder())
    for name in PATCHES:
        mod = sys.modules.get(name)
        if mod is not None:
            _apply(name, mod)
