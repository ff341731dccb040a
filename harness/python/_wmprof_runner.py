"""The wmprof runner's code (see wmprof_run.py, which only imports this module: a script is
compiled at every start, an imported module's bytecode is cached)."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_USAGE = "usage: wmprof_run.py SCRIPT [ARGS...] | wmprof_run.py -m MODULE [ARGS...]"


def _fail(msg):
    try:
        sys.stderr.write("wmprof_run: %s\n" % (msg,))
        sys.stderr.flush()
    except Exception:
        pass
    return 2


def _import_harness():
    h = sys.modules.get("_wmprof_harness")
    if h is not None:
        return h
    added = _HERE not in sys.path
    if added:
        sys.path.insert(0, _HERE)  # e.g. under -I / -P, where neither PYTHONPATH nor our dir is
    try:
        import _wmprof_harness as h
        return h
    except Exception:
        return None
    finally:
        if added:
            try:
                sys.path.remove(_HERE)
            except ValueError:
                pass


def _ours(filename):
    """Frames to hide from a traceback's top: this runner, runpy, importlib, the harness."""
    if filename.startswith("<frozen runpy") or filename.startswith("<frozen importlib"):
        return True
    if filename.startswith(os.path.join(_HERE, "")):
        return True
    base = os.path.basename(filename)
    return base == "runpy.py" and filename.startswith(os.path.dirname(os.__file__))


def _trim(tb):
    while tb is not None and _ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _report(exc):
    """Print an uncaught exception the way the interpreter would (via sys.excepthook)."""
    tb = _trim(exc.__traceback__)
    try:
        exc.__traceback__ = tb
    except Exception:
        pass
    etype = type(exc)
    sys.last_type, sys.last_value, sys.last_traceback = etype, exc, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = exc
    try:
        sys.excepthook(etype, exc, tb)
    except BaseException as hook_exc:
        try:
            sys.stderr.write("Error in sys.excepthook:\n")
            sys.__excepthook__(type(hook_exc), hook_exc, hook_exc.__traceback__)
            sys.stderr.write("\nOriginal exception was:\n")
            sys.__excepthook__(etype, exc, tb)
        except Exception:
            pass


def _die_of_sigint():
    """Like the interpreter after an uncaught KeyboardInterrupt: finalize, then kill ourselves
    with SIGINT so that the parent sees 'killed by SIGINT'."""
    import signal
    try:
        threading = sys.modules.get("threading")
        if threading is not None and hasattr(threading, "_shutdown"):
            threading._shutdown()
    except BaseException:
        pass
    try:
        import atexit
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        pass
    os._exit(130)


class _Argv0(object):
    """Stands in for runpy._ModifiedArgv0 so that run_path leaves sys.argv[0] as given while
    __file__ (and code filenames) are absolute, as `python script.py` does on 3.9+."""

    def __init__(self, value):
        self._saved = None

    def __enter__(self):
        self._saved = sys.argv[0]

    def __exit__(self, *exc):
        sys.argv[0] = self._saved
        return False


def _run_path(runpy, path):
    """runpy.run_path(path, run_name="__main__"), minus run_path's first step for a source file:
    `from pkgutil import get_importer` costs ~5 ms of start-up (pkgutil imports typing, re, ...)
    to learn that no path hook takes a plain file. Done here the same way (get_importer's loop),
    then the same compile and runpy._run_module_code; directories, zip files and .pyc files go
    to run_path itself."""
    run = getattr(runpy, "_run_module_code", None)
    importer = sys.path_importer_cache.get(path)
    if run is not None and importer is None and path not in sys.path_importer_cache:
        for hook in sys.path_hooks:
            try:
                importer = hook(path)
            except ImportError:
                continue
            sys.path_importer_cache.setdefault(path, importer)
            break
    if run is None or importer is not None:
        return runpy.run_path(path, run_name="__main__")
    import io
    with io.open_code(path) as f:
        source = f.read()
    magic = getattr(sys.modules.get("_frozen_importlib_external"), "MAGIC_NUMBER", None)
    if magic is None or source[:4] == magic:
        return runpy.run_path(path, run_name="__main__")
    code = compile(source, path, "exec")
    return run(code, None, "__main__", pkg_name="", script_name=path)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        return _fail(_USAGE)
    module = None
    script = None
    if args[0] == "-m":
        if len(args) < 2 or not args[1]:
            return _fail("-m needs a module name; " + _USAGE)
        module, rest = args[1], args[2:]
    else:
        if args[0] == "--":
            args = args[1:]
            if not args:
                return _fail(_USAGE)
        script, rest = args[0], args[1:]
        abs_script = os.path.abspath(script)
        if not os.path.exists(abs_script):
            return _fail("can't open file %r: [Errno 2] No such file or directory" % (abs_script,))
        if os.path.isdir(abs_script) and not (
                os.path.isfile(os.path.join(abs_script, "__main__.py"))
                or os.path.isfile(os.path.join(abs_script, "__main__.pyc"))):
            return _fail("can't find '__main__' module in %r" % (abs_script,))

    h = _import_harness()

    # sys.path[0]: the runner's folder became the script's folder or, for -m, the cwd (as the
    # interpreter does); under -I / -P the interpreter added nothing, so neither do we.
    try:
        p0 = sys.path[0] if sys.path else None
        if p0 is not None and os.path.realpath(p0 or os.curdir) == os.path.realpath(_HERE):
            if module is not None:
                sys.path[0] = os.getcwd()
            elif os.path.isfile(abs_script):
                sys.path[0] = os.path.dirname(abs_script)
            else:
                sys.path[0] = abs_script
    except Exception:
        pass

    import runpy
    if h is not None:
        try:
            h.start_main()
        except Exception:
            pass

    def set_code(code):
        if h is not None:
            try:
                h.set_exit_code(code)
            except Exception:
                pass

    try:
        if module is not None:
            sys.argv[:] = [module] + rest
            err = getattr(runpy, "_Error", None)
            details = getattr(runpy, "_get_module_details", None)
            if err is not None and details is not None:
                try:
                    details(module, err)
                except err as e:
                    set_code(2)
                    return _fail(str(e))
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            sys.argv[:] = [script] + rest
            saved = getattr(runpy, "_ModifiedArgv0", None)
            if saved is not None:
                runpy._ModifiedArgv0 = _Argv0
            try:
                _run_path(runpy, abs_script)
            finally:
                if saved is not None:
                    runpy._ModifiedArgv0 = saved
    except SystemExit as e:
        code = e.code
        set_code(0 if code is None else code if isinstance(code, int) else 1)
        raise
    except KeyboardInterrupt as e:
        _report(e)
        set_code(-2)
        _die_of_sigint()
    except BaseException as e:
        _report(e)
        set_code(1)
        return 1
    set_code(0)
    return 0

