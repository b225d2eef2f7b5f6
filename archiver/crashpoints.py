"""Named places where a test may kill the process, to prove crash consistency.

``reached(name)`` does nothing unless the environment variable
``ARCHIVER_CRASHPOINT`` equals ``name``; then the process kills itself with
SIGKILL, as a power cut or the OOM killer would: no ``finally``, no ``atexit``,
no flush. Tests set the variable for one subprocess, then run the command again
and check that the archive is whole (tests/test_crash_consistency.py).
"""

from __future__ import annotations

import os
import signal

ENV = "ARCHIVER_CRASHPOINT"
_AT = os.environ.get(ENV)  # read once: reached() runs for every result of a check


def reached(name: str) -> None:
    if _AT is not None and _AT == name:
        os.kill(os.getpid(), signal.SIGKILL)
