"""wmprof fallback: activates the harness in Python processes of a wmprof run that were started
some other way than multiprocessing (subprocess, os.exec*, the resource tracker, the forkserver).

It does nothing unless WMPROF_RUN_DIR is set, never imports multiprocessing (the harness patches
it through a post-import hook when the process imports it), and then runs the sitecustomize this
one shadows (the next one on sys.path, e.g. Debian's), in this module's namespace.
"""
import os as _wm_os
import sys as _wm_sys


def _wm_cache_bytecode():
    """Under PYTHONDONTWRITEBYTECODE (or -B) Python caches no bytecode, and every process of the
    run would compile the harness's ~90 KB of source again: 12-20 ms each. The harness then writes
    the .pyc files of its own modules (never the user's), where Python looks for them, once per
    interpreter version and harness change. A folder it cannot write to leaves things as they
    were. The check is two stat calls and two 16-byte reads."""
    import _frozen_importlib_external as bx
    here = _wm_os.path.dirname(_wm_os.path.abspath(__file__))
    for rel in ("_wmprof_harness/__init__.py", "_wmprof_harness/_mp.py", "_wmprof_runner.py"):
        src = _wm_os.path.join(here, rel)
        try:
            st = _wm_os.stat(src)
            pyc = bx.cache_from_source(src)
            with open(pyc, "rb") as f:
                head = f.read(16)
            stamp = (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (st.st_size & 0xFFFFFFFF).to_bytes(4, "little")
            if head == bx.MAGIC_NUMBER + bytes(4) + stamp:  # magic, flags 0 (timestamp-based), mtime, size
                continue
        except Exception:
            pass  # no .pyc yet (or an unreadable one): write it
        try:
            import py_compile
            py_compile.compile(src, cfile=pyc, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
        except Exception:
            return  # read-only install, or the source itself is unreadable: compile in memory as before


if _wm_os.environ.get("WMPROF_RUN_DIR"):
    if _wm_sys.dont_write_bytecode:
        try:
            _wm_cache_bytecode()
        except Exception:
            pass
    try:
        import _wmprof_harness  # noqa: F401  (activates itself)
    except Exception:
        pass
del _wm_cache_bytecode


def _wm_chain():
    here = _wm_os.path.dirname(_wm_os.path.abspath(__file__))
    real_here = _wm_os.path.realpath(here)
    seen = False
    later = []
    for entry in _wm_sys.path:
        if not isinstance(entry, str):
            continue
        try:
            same = _wm_os.path.realpath(entry or _wm_os.curdir) == real_here
        except Exception:
            same = False
        if same:
            seen = True
            continue
        if seen:
            later.append(entry)
    for entry in later:
        candidate = _wm_os.path.join(entry, "sitecustomize.py")
        if _wm_os.path.isfile(candidate):
            with open(candidate, "rb") as f:
                source = f.read()
            return compile(source, candidate, "exec")
    try:
        from importlib.machinery import PathFinder
        spec = PathFinder.find_spec("sitecustomize", later)
    except Exception:
        spec = None
    if spec is not None and spec.loader is not None and hasattr(spec.loader, "get_code"):
        return spec.loader.get_code("sitecustomize")
    return None


_wm_code = _wm_chain()
del _wm_chain
if _wm_code is not None:
    exec(_wm_code, globals())
del _wm_code
