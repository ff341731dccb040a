"""wmprof fallback: activates the harness in Python processes of a wmprof run that were started
some other way than multiprocessing (subprocess, os.exec*, the resource tracker, the forkserver).

It does nothing unless WMPROF_RUN_DIR is set, never imports multiprocessing (the harness patches
it through a post-import hook when the process imports it), and then runs the sitecustomize this
one shadows (the next one on sys.path, e.g. Debian's), in this module's namespace.
"""
import os as _wm_os
import sys as _wm_sys

if _wm_os.environ.get("WMPROF_RUN_DIR"):
    try:
        import _wmprof_harness  # noqa: F401  (activates itself)
    except Exception:
        pass


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
