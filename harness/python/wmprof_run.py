"""wmprof runner: run a Python script (or module) with the wmprof harness active.

    python wmprof_run.py SCRIPT [ARGS...]
    python wmprof_run.py -m MODULE [ARGS...]

Environment: WMPROF_RUN_DIR (absolute, existing, 0700: where events-<pid>.ndjson go),
WMPROF_HARNESS_DIR (this folder), optional WMPROF_TRACEMALLOC=1, and PYTHONPATH with this folder
prepended (for the sitecustomize fallback in processes started some other way).

The hooks go in before any user code; then the target runs as __main__ through runpy, with
sys.argv and sys.path[0] as if it had been run directly. Its exit code, stdout, stderr and
tracebacks are its own (runner frames hidden). Runner errors (no such script / module, bad
usage) print one line on stderr and exit 2.
"""
import os
import sys

if __name__ == "__main__":
    # The code is in _wmprof_runner.py beside this file, imported (its bytecode cached) rather
    # than compiled here at every start (~1 ms). It imports the harness only once the arguments
    # are checked; sys.path is left as the interpreter set it.
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, _here)
    try:
        import _wmprof_runner
    finally:
        sys.path.remove(_here)
    sys.exit(_wmprof_runner.main())
