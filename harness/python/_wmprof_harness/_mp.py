"""multiprocessing hooks of the wmprof harness.

Every pickled payload crosses ``reduction.ForkingPickler.dumps`` / ``loads`` (Queue, SimpleQueue,
JoinableQueue, Pipe/Connection, Pool tasks and results, ProcessPoolExecutor calls and results,
Manager proxy calls). The hooks sit there, on the class (``connection`` and ``sharedctypes`` hold
their own reference to the class, never to the function), and, on the busy paths, closer to the
user: ``Connection.send`` / ``recv`` and ``Queue.put`` / ``get`` are replaced whole (same bodies,
accounting inline), ``queues._ForkingPickler`` is a stand-in for ``SimpleQueue.put`` / ``get``,
and each Queue feeder thread pickles through a stand-in of its own. The channel is read from the
standard-library frames between the hook and the first user frame; the site is that user frame.
See "Hot paths" below for what a message costs.

Payloads pickled on another thread carry their site with them:
- ``Queue.put`` pickles in the feeder thread: ``put()`` appends its site's record to a FIFO next
  to the buffer (under the queue's lock; ``JoinableQueue.put`` does it through the buffer's
  ``append``), and the feeder's pickler takes the next one for each object it pickles (the feeder
  runs ``Queue._feed``'s code with a copy of the module's globals naming that pickler);
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
from time import perf_counter

from . import (
    _st, R, ONE, I_SEC, I_TIMED, I_TLAST, I_SLOT, SITE_CACHE, FILE_CLS, NEXT_FLUSH,
    HARNESS_DIR, CH_QUEUE, CH_POOL, CH_EXECUTOR, CH_PROCARGS, K_FEEDER, K_USER, K_STOP, BIG,
    FLUSH_S, HIST_LEN,
    _BUCKET_OF_BITLEN, classify, file_class, code_class, user_slot, user_site, slot, flush,
    queue_big, event, js, final, _activate, internal_code, CH_PIPE,
)

_pc = perf_counter  # float seconds: see I_SEC in __init__ for why not perf_counter_ns
_gf = sys._getframe
_BK = _BUCKET_OF_BITLEN
_deque = collections.deque

_EXEC_SITES = {}  # (id(pending_work_items), work_id) -> site of submit()
_EXEC_RESULTS = {}  # (manager thread ident, work_id) -> site, for the result coming back
_POOL_JOBS = None  # job id -> ApplyResult / IMapIterator (weak values), created lazily


def after_fork_child():
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


def _whole(f):
    """Marks a function that replaces a standard-library one whole (its body included), for
    profiles of the harness (bench/suite/hookprof.py)."""
    f._wm_whole = True
    return f


# ------------------------------------------------------------------------------------------------
# Specials: payloads pickled / unpickled with no user frame on the stack (these return records)

def _pool_site(job):
    jobs = _POOL_JOBS
    if jobs is None:
        return -1
    r = jobs.get(job)
    return getattr(r, "_wm_site", -1) if r is not None else -1


def _send_special(obj, ch):
    if ch == K_FEEDER:  # in a feeder thread but not by its own pickler (nested, or no records)
        return R[slot(-1, CH_QUEUE * 2)]
    if ch == CH_POOL and type(obj) is tuple and len(obj) == 5:
        return R[slot(_pool_site(obj[0]), CH_POOL * 2)]
    return R[slot(-1, ch * 2)]


def _recv_special(obj, ch):
    if ch == CH_POOL:
        if type(obj) is tuple and len(obj) == 3:
            return R[slot(_pool_site(obj[0]), CH_POOL * 2 + 1)]
    elif ch == CH_EXECUTOR:
        if type(obj).__name__ == "_ResultItem":
            site = _EXEC_RESULTS.pop((get_ident(), getattr(obj, "work_id", None)), -1)
            return R[slot(site, CH_EXECUTOR * 2 + 1)]
    return R[slot(-1, ch * 2 + 1)]


# ------------------------------------------------------------------------------------------------
# Hot paths
#
# The busy hooks: Connection.send / recv (pipes, Pool task and result pipes, manager connections)
# and Queue.put / get, all replaced whole (their bodies are the same 3.8-3.13) so that their caller
# is the user frame and no hook frame is added; a Queue feeder's own pickler (its site comes with
# the object); the queues stand-in (SimpleQueue.put / get: their caller's caller is the user frame);
# SiteDeque.append (JoinableQueue.put). ForkingPickler.dumps / loads on the class see the rest.
# Every bytecode on the common path costs ~50-100 machine instructions, and an attribute of a
# frame ~150, so the common path is kept short:
#
# - The site is found before pickling: a one-entry inline cache (a closure cell holding a tuple,
#   replaced atomically) compares the user frame's code object and f_lasti with the previous
#   call's and yields the slot's record. The user frame is fetched with sys._getframe(depth)
#   directly (on 3.11+ that does not create frame objects for the frames in between). On a miss,
#   _locate() walks the stack classifying frames by co_filename (a str key: its hash is cached;
#   a code object's is not and costs up to 0.6 us) and finds the slot through the id(code)-keyed
#   site cache.
# - Counting is one `rec[bucket] += n + ONE`: each histogram bucket holds (count << 64) + bytes.
# - Pickling time: the first message after a cache miss is timed, and so is every message while
#   the site is not hot. A site is hot when its last timed message took < 20 us and came < 5 ms
#   after the one before; then, while the cache keeps hitting, only one message in 16 is
#   timed and the site's total is extrapolated from its timed messages (`slot_ns`). Timed
#   messages also drive the 250 ms flush check. Times are floats (free-listed), so that no heap
#   block is held across the user's (un)pickling (see I_SEC in __init__).
# - The un/timed pickle-and-count lines are repeated in each hook on purpose: a helper call
#   would cost as much as the rest of the common path.
#
# Only what the common path needs, and what must be per hook, is a closure cell: every cell is
# copied into the frame at each call and released at its end, used or not. The rest are module
# globals (cached LOAD_GLOBAL on 3.11+). Not keyword-only defaults: those are re-filled from
# __kwdefaults__ (a dict lookup each) on every call; not **kwargs (a new dict every call).

SKIP = 15  # untimed messages between two timed ones while a site is hot
HOT_S = 20e-6  # ... i.e. while its last timed message took less than this
HOT_GAP = 5e-3  # ... and came less than this after the one before
try:  # benchmarks under valgrind (~50x slower) scale these, see bench/overhead.mjs --instructions
    _scale = float(os.environ.get("WMPROF_HOT_SCALE") or 1)
    HOT_S, HOT_GAP = HOT_S * _scale, HOT_GAP * _scale
except ValueError:
    pass
_DUMMY = [0] * HIST_LEN + [0.0, 0.0, 0.0, -1]  # counts nothing: used if the site lookup fails


class _NoFrame:
    """Stands for the caller of a hook that has none: a thread started on the bound method
    itself (_thread.start_new_thread(conn.send, ...)) runs it at the bottom of its stack, where
    sys._getframe(1) raises. Matches no cache entry; _locate treats it as no user frame."""
    f_code = object()
    f_lasti = -2
    f_back = None


_NOFRAME = _NoFrame()


def _locate(f, obj, d, ch=1):
    """(record, user frame, depth) for a payload pickled (d=0) / unpickled (d=1) below frame f,
    the hook's caller (ch: the channel the hook itself implies). depth: 0 if f is the user frame,
    1 if f.f_back is, else -1 (no user frame: the site comes from the feeder / pool job / executor
    work item, or is unknown)."""
    try:
        if f is _NOFRAME:
            f = None
        first = f
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
            return (_recv_special if d else _send_special)(obj, ch), None, -1
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
    r[I_SEC] += dt
    r[I_TIMED] += 1.0
    hot = dt < HOT_S and t1 - r[I_TLAST] < HOT_GAP
    r[I_TLAST] = t1
    if n >= BIG:
        queue_big(r[I_SLOT], n, dt)
    if t1 >= NEXT_FLUSH[0]:
        flush(t1)
    return SKIP if hot else 0


def _untimed_big(r, n):
    queue_big(r[I_SLOT], n, -1.0)


def _make_dumps(orig):
    """ForkingPickler.dumps for callers without a stand-in of their own (direct use)."""
    _orig = orig
    _lc = (None, None, -1, 0, _DUMMY)  # (caller code, user code, user f_lasti, depth, record)
    _k = 0  # messages to leave untimed

    def dumps(cls, obj, protocol=None):
        nonlocal _lc, _k
        try:
            f = _gf(1)
        except ValueError:  # no Python caller (see _NoFrame)
            f = _NOFRAME
        lc = _lc
        u = (f.f_back if lc[3] else f) if f.f_code is lc[0] else None
        if u is not None and u.f_code is lc[1] and u.f_lasti == lc[2]:
            r = lc[4]
            if _k:
                _k -= 1
                buf = _orig(cls, obj, protocol)
                n = len(buf)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
                if n >= 65536:
                    _untimed_big(r, n)
                return buf
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
    """ForkingPickler.loads for callers without a stand-in of their own (direct use)."""
    _orig = orig
    _lc = (None, None, -1, 0, _DUMMY)
    _k = 0

    def loads(data, *args, **kwargs):
        nonlocal _lc, _k
        try:
            f = _gf(1)
        except ValueError:  # no Python caller (see _NoFrame)
            f = _NOFRAME
        lc = _lc
        u = (f.f_back if lc[3] else f) if f.f_code is lc[0] else None
        if u is not None and u.f_code is lc[1] and u.f_lasti == lc[2]:
            r = lc[4]
            if _k:
                _k -= 1
                obj = _orig(data, *args, **kwargs)
                n = len(data)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
                if n >= 65536:
                    _untimed_big(r, n)
                return obj
        else:
            r = None
        t0 = _pc()
        obj = _orig(data, *args, **kwargs)
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


_SENTINEL = [object()]  # queues._sentinel (what Queue._finalize_close appends: never pickled)
# The hooked ForkingPickler and its original dumps and loads (set by _patch_reduction): the fast
# paths pickle with these (not the class's hooks, which would count again). Called, not inlined:
# a pickling error's traceback keeps reduction.py's frame, as without the harness.
_FAST = [None, None, None]


def _patch_connection(m):
    """Connection.send / recv (identical 3.8-3.13) do their own accounting: their caller is the
    user frame itself in the common case, which saves a layer and a frame step. They pickle with
    the original ForkingPickler functions (not counted twice) as long as the module's
    _ForkingPickler is the class we hooked; otherwise they defer to it. The raw-bytes methods:
    see _patch_raw_bytes."""
    _patch_raw_bytes(m)
    CB = m._ConnectionBase
    _FP, _odumps, _oloads = _FAST
    if _FP is None or _is_wrapped(CB.__dict__["send"]):
        return
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
        try:
            f = _gf(1)
        except ValueError:  # no Python caller (see _NoFrame)
            f = _NOFRAME
        code, lasti, r = _slc
        if f.f_code is code and f.f_lasti == lasti:
            if _sk:
                _sk -= 1
                buf = _odumps(_FP, obj)
                n = len(buf)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
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
        try:
            f = _gf(1)
        except ValueError:  # no Python caller (see _NoFrame)
            f = _NOFRAME
        code, lasti, r = _rlc
        if f.f_code is code and f.f_lasti == lasti:
            if _rk:
                _rk -= 1
                obj = _oloads(data)
                n = len(data)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
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

    CB.send = _whole(_wraps(send, orig_send))
    CB.recv = _whole(_wraps(recv, orig_recv))


# ------------------------------------------------------------------------------------------------
# Raw bytes: Connection.send_bytes / recv_bytes / recv_bytes_into called by the user's own code
# (a buffer sent without pickling is still a copy through the pipe). Channel pipe, no pickling
# time: counted like an untimed message (the record's timing fields are left alone, so a line's
# `ns` stays its pickling time), `big` events with ns 0; the clock is read only for the flush
# check, on a message >= 64 KiB and on one small message in 16. multiprocessing calls these
# methods too, for traffic other hooks count or that is not the user's (a Queue's feeder and
# get(), SimpleQueue, the executor's wake-up pipe, the authentication handshake of managers and
# Listener/Client): a message counts only if the method's immediate caller is not code of the
# multiprocessing or concurrent.futures packages or of the harness (internal_code). The check is
# by code object: a one-entry cache for the last internal caller, one for the last user call
# (code, f_lasti, record), the slow path (_raw_record) behind them. A Queue skips it altogether
# (_queue_conns). Counted after the call returned: a call that raises (closed connection,
# EOFError, BufferTooShort, bad offsets) counts nothing. The bodies are replaced whole, as send /
# recv are (no frame added: the caller is _gf(1)), when their bytecode names are the known ones;
# otherwise wrappers call the originals.

# send_bytes up to 3.10 copies a buffer of items wider than a byte (memoryview(bytes(m))) and
# measures it with len(); 3.11+ casts it to 'B' and uses nbytes. recv_bytes / recv_bytes_into:
# one body 3.8-3.13.
_SEND_BYTES_CAST = {
    ('_check_closed', '_check_writable', 'memoryview', 'itemsize', 'bytes', 'len', 'ValueError',
     '_send_bytes'): False,
    ('_check_closed', '_check_writable', 'memoryview', 'itemsize', 'cast', 'nbytes', 'ValueError',
     '_send_bytes'): True,
}
_RECV_BYTES_NAMES = ('_check_closed', '_check_readable', 'ValueError', '_recv_bytes',
                     '_bad_message_length', 'getvalue')
_RECV_INTO_NAMES = ('_check_closed', '_check_readable', 'memoryview', 'itemsize', 'len',
                    'ValueError', '_recv_bytes', 'tell', 'BufferTooShort', 'getvalue', 'seek',
                    'readinto')
_RAW_SEND = CH_PIPE * 2  # chdir of a raw send; a receive is _RAW_SEND + 1
# (send_bytes hook, recv_bytes hook, original send_bytes, original recv_bytes): a Queue binds
# the originals for its feeder and get() (see _queue_conns), which then pay nothing for the hooks
_RAW_ORIG = [None, None, None, None]


def _raw_record(f, chdir):
    """Slow path of the raw-bytes hooks: (record, cacheable) for a message whose method was
    called from frame f. record is None if f is multiprocessing's own code (not counted); else
    the slot of f itself if it is user code (cacheable by f's code and f_lasti), or of the
    innermost user frame above it (a neutral caller, e.g. a Thread running conn.send_bytes as
    its target; -1 if none, or if f is None: no Python caller at all)."""
    try:
        if f is None:
            return R[slot(-1, chdir)], False
        code = f.f_code
        if internal_code(code):
            return None, True
        if classify(code) == K_USER:
            e = SITE_CACHE[chdir].get(id(code))
            s = e[1].get(f.f_lasti) if e is not None and e[0] is code else None
            if s is None:
                s = user_slot(code, f, chdir)
            return R[s], True
        return R[slot(user_site(f), chdir)], False
    except Exception:
        return _DUMMY, False


def _caller():
    """The frame that called the caller of this function, or None."""
    try:
        return _gf(2)
    except ValueError:
        return None


def _raw_count(f, chdir, n):
    """Counts one raw message of n bytes whose method was called from frame f (the fallback
    wrappers; the whole replacements do this inline)."""
    try:
        r = _raw_record(f, chdir)[0]
        if r is None:
            return
        n = int(n)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        if n >= 65536:
            queue_big(r[I_SLOT], n, 0.0)
        t = _pc()
        if t >= NEXT_FLUSH[0]:
            flush(t)
    except Exception:
        pass


def _patch_raw_bytes(m):
    CB = m._ConnectionBase
    orig_send = CB.__dict__["send_bytes"]
    orig_recv = CB.__dict__["recv_bytes"]
    orig_into = CB.__dict__["recv_bytes_into"]
    if _is_wrapped(orig_send):
        return
    _cast = _SEND_BYTES_CAST.get(orig_send.__code__.co_names)
    _BufferTooShort = m.BufferTooShort
    _sskip = None  # code of the last internal caller of send_bytes (not counted)
    _slc = (None, -1, _DUMMY)  # (user code, f_lasti, record) of the last counted send_bytes
    _sk = 0  # small messages to count before the next flush check (clock read)
    _rskip = None  # ... the same for recv_bytes
    _rlc = (None, -1, _DUMMY)
    _rk = 0
    _iskip = None  # ... and for recv_bytes_into
    _ilc = (None, -1, _DUMMY)
    _ik = 0

    def send_bytes(self, buf, offset=0, size=None):
        nonlocal _sskip, _slc, _sk
        self._check_closed()
        self._check_writable()
        m = memoryview(buf)
        if m.itemsize > 1:
            m = m.cast('B') if _cast else memoryview(bytes(m))
        n = m.nbytes if _cast else len(m)
        if offset < 0:
            raise ValueError("offset is negative")
        if n < offset:
            raise ValueError("buffer length < offset")
        if size is None:
            size = n - offset
        elif size < 0:
            raise ValueError("size is negative")
        elif offset + size > n:
            raise ValueError("buffer length < offset + size")
        m = m[offset:offset + size]
        self._send_bytes(m)
        try:
            f = _gf(1)
        except ValueError:  # no Python caller: a thread started on the bound method itself
            return _raw_count(None, _RAW_SEND, m.nbytes)
        c = f.f_code
        if c is _sskip:
            return
        code, lasti, r = _slc
        if c is not code or f.f_lasti != lasti:
            r, keep = _raw_record(f, _RAW_SEND)
            if r is None:
                _sskip = c
                return
            if keep:
                _slc = (c, f.f_lasti, r)
        n = m.nbytes
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        if n >= 65536:
            queue_big(r[I_SLOT], n, 0.0)
        elif _sk:
            _sk -= 1
            return
        _sk = SKIP
        t = _pc()
        if t >= NEXT_FLUSH[0]:
            flush(t)

    def recv_bytes(self, maxlength=None):
        nonlocal _rskip, _rlc, _rk
        self._check_closed()
        self._check_readable()
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        buf = self._recv_bytes(maxlength)
        if buf is None:
            self._bad_message_length()
        buf = buf.getvalue()
        try:
            f = _gf(1)
        except ValueError:
            _raw_count(None, _RAW_SEND + 1, len(buf))
            return buf
        c = f.f_code
        if c is _rskip:
            return buf
        code, lasti, r = _rlc
        if c is not code or f.f_lasti != lasti:
            r, keep = _raw_record(f, _RAW_SEND + 1)
            if r is None:
                _rskip = c
                return buf
            if keep:
                _rlc = (c, f.f_lasti, r)
        n = len(buf)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        if n >= 65536:
            queue_big(r[I_SLOT], n, 0.0)
        elif _rk:
            _rk -= 1
            return buf
        _rk = SKIP
        t = _pc()
        if t >= NEXT_FLUSH[0]:
            flush(t)
        return buf

    def recv_bytes_into(self, buf, offset=0):
        nonlocal _iskip, _ilc, _ik
        self._check_closed()
        self._check_readable()
        with memoryview(buf) as m:
            # Get bytesize of arbitrary buffer
            itemsize = m.itemsize
            bytesize = itemsize * len(m)
            if offset < 0:
                raise ValueError("negative offset")
            elif offset > bytesize:
                raise ValueError("offset too large")
            result = self._recv_bytes()
            size = result.tell()
            if bytesize < offset + size:
                raise _BufferTooShort(result.getvalue())
            # Message can fit in dest
            result.seek(0)
            result.readinto(m[offset // itemsize :
                              (offset + size) // itemsize])
        try:
            f = _gf(1)
        except ValueError:
            _raw_count(None, _RAW_SEND + 1, size)
            return size
        c = f.f_code
        if c is _iskip:
            return size
        code, lasti, r = _ilc
        if c is not code or f.f_lasti != lasti:
            r, keep = _raw_record(f, _RAW_SEND + 1)
            if r is None:
                _iskip = c
                return size
            if keep:
                _ilc = (c, f.f_lasti, r)
        r[0 if size < 64 else _BK[size.bit_length()]] += size + ONE
        if size >= 65536:
            queue_big(r[I_SLOT], size, 0.0)
        elif _ik:
            _ik -= 1
            return size
        _ik = SKIP
        t = _pc()
        if t >= NEXT_FLUSH[0]:
            flush(t)
        return size

    # Fallbacks for bodies not known here: the originals, counted after they return.
    def send_bytes_wrapper(self, buf, offset=0, size=None):
        orig_send(self, buf, offset, size)
        try:
            if size is None:
                with memoryview(buf) as v:
                    size = v.nbytes - offset
        except Exception:
            return
        _raw_count(_caller(), _RAW_SEND, size)

    def recv_bytes_wrapper(self, maxlength=None):
        buf = orig_recv(self, maxlength)
        _raw_count(_caller(), _RAW_SEND + 1, len(buf))
        return buf

    def recv_bytes_into_wrapper(self, buf, offset=0):
        size = orig_into(self, buf, offset)
        _raw_count(_caller(), _RAW_SEND + 1, size)
        return size

    if _cast is not None and orig_send.__defaults__ == (0, None):
        CB.send_bytes = _whole(_wraps(send_bytes, orig_send))
    else:
        CB.send_bytes = _wraps(send_bytes_wrapper, orig_send)
    if orig_recv.__code__.co_names == _RECV_BYTES_NAMES and orig_recv.__defaults__ == (None,):
        CB.recv_bytes = _whole(_wraps(recv_bytes, orig_recv))
    else:
        CB.recv_bytes = _wraps(recv_bytes_wrapper, orig_recv)
    if orig_into.__code__.co_names == _RECV_INTO_NAMES and orig_into.__defaults__ == (0,):
        CB.recv_bytes_into = _whole(_wraps(recv_bytes_into, orig_into))
    else:
        CB.recv_bytes_into = _wraps(recv_bytes_into_wrapper, orig_into)
    _RAW_ORIG[:] = [CB.send_bytes, CB.recv_bytes, orig_send, orig_recv]


def _namespace(name, **attrs):
    """A stand-in for queues._ForkingPickler: a module object, whose attributes LOAD_ATTR /
    LOAD_METHOD look up fastest (specialized on 3.11+)."""
    ns = type(sys)(name)
    ns.__dict__.update(attrs)
    return ns


# SimpleQueue.put flushes after a timed message once the last flush is 50 ms old (not 250): it
# carries Pool and executor workers' results, and such a worker, idle after its last result, is
# often SIGTERMed by Pool.terminate() before its next flush.
_EARLY = FLUSH_S - 0.05


def _queue_pickler(FP, odumps, oloads):
    """What multiprocessing.queues sees as _ForkingPickler (a Queue's feeder has its own, see
    _feed_with_records): its dumps is called only by SimpleQueue.put, its loads only by
    SimpleQueue.get and Queue.get (the cases _queue_put_get leaves to the original), so the user
    frame is the one above put() / get(), two frames up."""
    _FP = FP
    _odumps = odumps
    _oloads = oloads
    _plc = (None, -1, _DUMMY)  # (user code, f_lasti, record) of the last put ...
    _glc = (None, -1, _DUMMY)  # ... and of the last get
    _pk = 0  # puts to leave untimed
    _gk = 0  # gets to leave untimed

    def dumps(obj, protocol=None):
        nonlocal _plc, _pk
        try:
            u = _gf(2)
        except ValueError:  # no Python caller of SimpleQueue.put (see _NoFrame)
            u = _NOFRAME
        code, lasti, r = _plc
        if u.f_code is code and u.f_lasti == lasti:
            if _pk:
                _pk -= 1
                buf = _odumps(_FP, obj, protocol)
                n = len(buf)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
                if n >= 65536:
                    _untimed_big(r, n)
                return buf
        else:
            r, f, depth = _locate(_gf(1), obj, 0)
            if depth == 1:
                _plc = (u.f_code, u.f_lasti, r)
        t0 = _pc()
        buf = _odumps(_FP, obj, protocol)
        t1 = _pc()
        n = len(buf)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _pk = _timed(r, n, t0, t1)
        if t1 >= NEXT_FLUSH[0] - _EARLY:
            flush(t1)
        return buf

    def loads(data):
        nonlocal _glc, _gk
        try:
            u = _gf(2)
        except ValueError:  # no Python caller of SimpleQueue.get (see _NoFrame)
            u = _NOFRAME
        code, lasti, r = _glc
        if u.f_code is code and u.f_lasti == lasti:
            if _gk:
                _gk -= 1
                obj = _oloads(data)
                n = len(data)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
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
            r, f, depth = _locate(_gf(1), obj, 1)
            if depth == 1:
                _glc = (u.f_code, u.f_lasti, r)
        n = len(data)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _gk = _timed(r, n, t0, t1)
        return obj

    return _namespace("_wmprof_harness.queues_pickler", dumps=_wraps(dumps, FP.dumps),
                      loads=_wraps(loads, FP.loads))


def _feeder_pickler(recs):
    """The _ForkingPickler of one Queue's feeder thread: each object it pickles is the next one
    of the buffer, so its put() record is the next one of recs (None: not known)."""
    _FP, _odumps = _FAST[:2]
    _pop = recs.popleft
    _k = 0  # messages to leave untimed
    _last = None  # the record last timed: the feeder samples runs of one put() site only

    def dumps(obj, protocol=None):
        nonlocal _k, _last
        try:
            r = _pop()
        except IndexError:
            r = None
        if r is None:
            r = R[slot(-1, CH_QUEUE * 2)]
        if _k and r is _last:
            _k -= 1
            buf = _odumps(_FP, obj, protocol)
            n = len(buf)
            r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
            if n >= 65536:
                _untimed_big(r, n)
            return buf
        _last = r
        t0 = _pc()
        buf = _odumps(_FP, obj, protocol)
        t1 = _pc()
        n = len(buf)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _k = _timed(r, n, t0, t1)
        return buf

    return _namespace("_wmprof_harness.feeder_pickler", dumps=_wraps(dumps, _FP.dumps))


_QUEUES = [None, None]  # multiprocessing.queues and its original Queue._feed


def _feed_with_records(buffer, *args):
    """Queue._feed: runs the original feeder code with globals of its own, a copy of the
    module's in which _ForkingPickler is this queue's _feeder_pickler (set up once per feeder
    thread; no check per message)."""
    m, feed = _QUEUES
    recs = getattr(buffer, "_wm_recs", None)
    if recs is not None and _FAST[0] is not None:
        try:
            g = dict(m.__dict__)
            g["_ForkingPickler"] = _feeder_pickler(recs)
            feed = type(feed)(feed.__code__, g, feed.__name__, feed.__defaults__, feed.__closure__)
        except Exception:
            feed = _QUEUES[1]
    return feed(buffer, *args)


def _count(s, n, t0, t1):
    """Count one timed message on slot s (slow paths: process-args)."""
    r = R[s]
    r[0 if n < 64 else _BUCKET_OF_BITLEN[n.bit_length()]] += n + ONE
    _timed(r, n, t0, t1)


def _walk(f, ch=1):
    """(channel, user frame or None) for a stack starting at frame f."""
    while f is not None:
        code = f.f_code
        k = classify(code)
        if k < 0:
            return ch, (f if k == K_USER else None)
        if k > ch and k != K_FEEDER:
            ch = k
        f = f.f_back
    return ch, None


def _put_record(obj, pwi, f):
    """(record, user frame or None) for obj put on a Queue from frame f (put() or its caller;
    runs in the putting thread); pwi: the executor's pending work items if the Queue is its call
    queue. The record is None for Queue._finalize_close's sentinel, which the feeder stops at and
    never pickles."""
    if obj is _SENTINEL[0]:
        return None, None
    ch, u = _walk(f, CH_QUEUE)
    if u is not None:
        code = u.f_code
        e = SITE_CACHE[ch * 2].get(id(code))
        s = e[1].get(u.f_lasti) if e is not None and e[0] is code else None
        if s is None:
            s = user_slot(code, u, ch * 2)
        return R[s], u
    if type(obj).__name__ == "_CallItem":
        wid = getattr(obj, "work_id", None)
        site = _EXEC_SITES.pop((id(pwi), wid), -1)
        _EXEC_RESULTS[(get_ident(), wid)] = site
        return R[slot(site, CH_EXECUTOR * 2)], None
    return R[slot(-1, ch * 2)], None


_PUT_LC = [(None, -1, None)]  # SiteDeque.append's inline cache: (user code, f_lasti, record)


class SiteDeque(_deque):
    """Queue._buffer replacement: remembers the put() site's record of every object, in FIFO
    order, for the feeder thread (see _queue_pickler). Queue.put (see _queue_put_get) adds the
    record itself; this append sees the other puts (JoinableQueue.put, or Queue.put if it could
    not be replaced) under the queue's lock, so two threads' puts cannot swap records, and
    Queue._finalize_close's sentinel. Its cache is filled only when the frame under the user's
    is a put() in queues.py; its key, the user's call instruction, makes the same call again."""

    def __init__(self, *args):
        _deque.__init__(self, *args)
        self._wm_recs = _deque()
        self._wm_pwi = None

    def append(self, obj, _append=_deque.append, _gf=_gf, _lc=_PUT_LC):
        try:
            u = _gf(2)  # above put()
            code, lasti, r = _lc[0]
            if u.f_code is not code or u.f_lasti != lasti:
                put = _gf(1)
                r, u = _put_record(obj, self._wm_pwi, put)
                if u is not None and u is put.f_back and classify(put.f_code) == CH_QUEUE:
                    _lc[0] = (u.f_code, u.f_lasti, r)
        except Exception:
            r = None
        self._wm_recs.append(r)  # before the object: the feeder may pop it at once
        _append(self, obj)

    def clear(self):
        _deque.clear(self)
        self._wm_recs.clear()


# Queue.put / Queue.get bytecode names, the same 3.8-3.13: their replacements re-do these bodies
_PUT_NAMES = ('_closed', 'ValueError', '_sem', 'acquire', 'Full', '_notempty', '_thread',
              '_start_thread', '_buffer', 'append', 'notify')
_GET_NAMES = ('_closed', 'ValueError', '_rlock', '_recv_bytes', '_sem', 'release', 'time',
              'monotonic', 'acquire', 'Empty', '_poll', '_ForkingPickler', 'loads')


def _queue_put_get(m, Q):
    """Queue.put and Queue.get, replaced by the same bodies with the accounting inline: the user
    frame is the caller, and no hook frame is added. get() does its blocking, untimed case
    itself; anything else (closed, non-blocking, timeouts) runs the original (through the
    stand-in's loads)."""
    orig_put = Q.__dict__["put"]
    orig_get = Q.__dict__["get"]
    if (_is_wrapped(orig_put) or orig_put.__code__.co_names != _PUT_NAMES
            or orig_get.__code__.co_names != _GET_NAMES):
        return
    Full = m.Full
    _oloads = _FAST[2]
    _dqappend = _deque.append
    _plc = (None, -1, None)  # (user code, f_lasti, record) of the last put
    _glc = (None, -1, _DUMMY)  # ... and of the last get
    _gk = 0  # gets to leave untimed

    def put(self, obj, block=True, timeout=None):
        nonlocal _plc
        if self._closed:
            return orig_put(self, obj, block, timeout)
        if not self._sem.acquire(block, timeout):
            raise Full
        try:
            u = _gf(1)
            code, lasti, r = _plc
            if u.f_code is not code or u.f_lasti != lasti:
                r, f = _put_record(obj, getattr(self, "pending_work_items", None), u)
                if f is u:
                    _plc = (u.f_code, u.f_lasti, r)
        except Exception:
            r = None
        with self._notempty:
            if self._thread is None:
                self._start_thread()
            self._wm_recs.append(r)  # before the object: the feeder may pop it at once
            _dqappend(self._buffer, obj)  # not SiteDeque.append: the record is in already
            self._notempty.notify()

    def get(self, block=True, timeout=None):
        nonlocal _glc, _gk
        if self._closed or not block or timeout is not None:
            return orig_get(self, block, timeout)
        with self._rlock:
            res = self._recv_bytes()
        self._sem.release()
        try:
            u = _gf(1)
        except ValueError:  # no Python caller (see _NoFrame)
            u = _NOFRAME
        code, lasti, r = _glc
        if u.f_code is code and u.f_lasti == lasti:
            if _gk:
                _gk -= 1
                obj = _oloads(res)
                n = len(res)
                r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
                if n >= 65536:
                    _untimed_big(r, n)
                return obj
        else:
            r = None
        t0 = _pc()
        obj = _oloads(res)
        t1 = _pc()
        if r is None:
            r, f, depth = _locate(u, obj, 1, CH_QUEUE)
            if depth == 0:
                _glc = (u.f_code, u.f_lasti, r)
        n = len(res)
        r[0 if n < 64 else _BK[n.bit_length()]] += n + ONE
        _gk = _timed(r, n, t0, t1)
        return obj

    Q.put = _whole(_wraps(put, orig_put))
    Q.get = _whole(_wraps(get, orig_get))


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
    dumps_hook = getattr(FP.__dict__.get("dumps"), "__func__", None)
    loads_hook = FP.__dict__.get("loads")
    loads_hook = getattr(loads_hook, "__func__", loads_hook)
    if _is_wrapped(dumps_hook) and _is_wrapped(loads_hook):
        _FAST[:] = [FP, dumps_hook._wm_orig, loads_hook._wm_orig]
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


_COND_WAIT_NAMES = ('_is_owned', 'RuntimeError', '_allocate_lock', 'acquire', '_waiters', 'append',
                    '_release_save', '_acquire_restore', 'remove', 'ValueError')  # 3.8-3.13


def _idle_condition_class(threading):
    Condition = threading.Condition
    if Condition.wait.__code__.co_names != _COND_WAIT_NAMES:
        return None
    _allocate_lock = threading._allocate_lock

    class IdleCondition(Condition):
        """Queue._notempty while the feeder runs (same lock as the one it replaces). Counters are
        otherwise flushed from the hooks, i.e. when the next message comes: a worker that puts
        its results and then idles, or is killed, would keep its last burst unwritten. So the
        feeder's untimed wait() waits 250 ms first, flushes if nothing came (without the queue's
        lock), then waits on. No thread of ours: the feeder is multiprocessing's. The body is
        Condition.wait's (the same 3.8-3.13), so that this costs no extra frame per message."""

        def wait(self, timeout=None):
            if timeout is not None:
                return Condition.wait(self, timeout)
            if not self._is_owned():
                raise RuntimeError("cannot wait on un-acquired lock")
            waiter = _allocate_lock()
            waiter.acquire()
            self._waiters.append(waiter)
            saved_state = self._release_save()
            gotit = False
            try:
                if not waiter.acquire(True, FLUSH_S):
                    try:
                        flush(0, block=True)
                    except Exception:
                        pass
                    waiter.acquire()
                gotit = True
                return True
            finally:
                self._acquire_restore(saved_state)
                if not gotit:
                    try:
                        self._waiters.remove(waiter)
                    except ValueError:
                        pass
    _whole(IdleCondition.wait)
    return IdleCondition


def _queue_conns(Q):
    """A Queue's feeder thread and its get() call its connections' send_bytes / recv_bytes
    through the bound methods that Queue._reset (3.9+; _after_fork in 3.8) stores on the Queue:
    bound to the original methods instead, they skip the raw-bytes hooks' caller check (~1,500
    to 2,000 instructions a message on 3.11, for traffic already counted as queue)."""
    for name in ("_reset", "_after_fork"):
        orig = Q.__dict__.get(name)
        code = getattr(orig, "__code__", None)
        if code is not None and "_recv_bytes" in code.co_names and "_send_bytes" in code.co_names:
            break
    else:
        return
    if _is_wrapped(orig):
        return
    from types import MethodType

    def rebind(self, *args, **kwargs):
        r = orig(self, *args, **kwargs)
        try:
            hook_send, hook_recv, osend, orecv = _RAW_ORIG
            if hook_send is not None and getattr(self._send_bytes, "__func__", None) is hook_send:
                self._send_bytes = MethodType(osend, self._writer)
            if hook_recv is not None and getattr(self._recv_bytes, "__func__", None) is hook_recv:
                self._recv_bytes = MethodType(orecv, self._reader)
        except Exception:
            pass
        return r
    setattr(Q, name, _wraps(rebind, orig))


def _patch_queues(m):
    Q = m.Queue
    _queue_conns(Q)
    _SENTINEL[0] = getattr(m, "_sentinel", _SENTINEL[0])
    FP, odumps, oloads = _FAST
    if FP is None or getattr(m, "_ForkingPickler", None) is not FP:
        return
    m._ForkingPickler = _queue_pickler(FP, odumps, oloads)
    _queue_put_get(m, Q)
    raw = Q.__dict__.get("_feed")
    feed = getattr(raw, "__func__", raw)
    if feed is not None and not _is_wrapped(feed):
        _QUEUES[:] = [m, feed]
        Q._feed = staticmethod(_wraps(_feed_with_records, feed))
    Q._wm_recs = _deque(maxlen=0)  # records of a Queue whose buffer is not a SiteDeque: none
    if not _is_wrapped(Q.__dict__["_start_thread"]):
        orig = Q.__dict__["_start_thread"]
        threading = m.threading
        Condition = threading.Condition
        IdleCondition = _idle_condition_class(threading)

        def _start_thread(self):
            # runs inside put(), which holds _notempty: the replacements are in place before the
            # feeder thread and the close finalizer get their references
            try:
                dq = SiteDeque()
                dq._wm_pwi = getattr(self, "pending_work_items", None)  # executor's call queue
                self._buffer = dq
                self._wm_recs = dq._wm_recs  # for the replaced put()
                old = self._notempty
                if IdleCondition is not None and type(old) is Condition:
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
