"""Named points where a test can kill the process (kill -9), to prove crash safety.

Tests only: ``ARCHIVER_CRASHPOINT=<name>`` makes ``reached(name)`` send SIGKILL
to this very process, as a power cut or an OOM kill would. Unset, it does nothing.
"""

from __future__ import annotations

import os
import signal


def reached(name: str) -> None:
    if os.environ.get("ARCHIVER_CRASHPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
