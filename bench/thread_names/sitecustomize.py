"""Loaded by the soak's server only (through PYTHONPATH): names each thread's OS task after its Python thread.

Python 3.11 leaves a new thread's OS name (/proc/<pid>/task/<tid>/comm, what `top -H` shows) as its creator's,
so from outside every thread of a worker is "gunicorn"; with this the soak can say which threads a worker runs.
Linux keeps 15 bytes: gthread's "ThreadPoolExecutor-0_12" is shown as "TPE-0_12".
"""

import ctypes
import sys
import threading
from typing import Any

PR_SET_NAME = 15
LIBC = ctypes.CDLL(None, use_errno=True)


def name_this_thread(*_event: Any) -> None:
    """threading runs this at each new thread's first call; it untraces the thread again at once."""
    sys.settrace(None)
    name = threading.current_thread().name.replace("ThreadPoolExecutor-", "TPE-")
    LIBC.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


threading.settrace(name_this_thread)
