"""Keep TensorFlow's C++ start-up chatter off the user's terminal.

Importing TensorFlow prints lines such as ``cudart_stub.cc:31] Could not find cuda
drivers on your machine``, ``cpu_feature_guard.cc``, ``cuInit`` errors and absl's
"All log messages before absl::InitializeLog() is called" note. Some come at a log
level that ``TF_CPP_MIN_LOG_LEVEL`` controls (:data:`QUIET_LOGS`, which the command
line and compare's workers set unless the user has); the others are written before
absl reads any setting, straight to file descriptor 2, so only a filter on that
descriptor removes them: :func:`filtered_stderr`, used by the command line while
stderr is a terminal. Logs written to a file or a pipe (CI, tests) stay complete.
Only log levels are touched here; the one switch that changes numerics, ``TF_ENABLE_ONEDNN_OPTS``, is
the package's (``keras_classics/__init__.py``), and its "oneDNN custom operations are on" note is
chatter like the others.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

# A level the user set wins: TF_CPP_MIN_LOG_LEVEL=0 still shows everything.
QUIET_LOGS = {"TF_CPP_MIN_LOG_LEVEL": "2"}

# glog/absl-formatted lines from TensorFlow's platform probing, and the fixed notes around them.
CHATTER = re.compile(
    r"^(?:[IWE]\d{4} [\d:.]+\s+\d+ (?:cudart_stub|cuda_platform|cuda_executor|cuda_dnn|cuda_fft|cuda_blas|cuda_diagnostics"
    r"|cpu_feature_guard|port|dso_loader|gpu_device|xla_bridge|pjrt_client|cpu_client)\.cc:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|oneDNN custom operations are on"
    r"|To enable the following instructions:.*rebuild TensorFlow)"
)
_PREFIX = re.compile(r"^(?:[IWE]\d{0,4}(?: |$)|W(?:A(?:R(?:N(?:I(?:N(?:G(?::.*)?)?)?)?)?)?)?$|o(?:n(?:e(?:D.*)?)?)?$|To .*)")


def quiet_logs() -> None:
    """Set :data:`QUIET_LOGS` in this process's environment (children inherit it) unless the user set them."""
    for key, value in QUIET_LOGS.items():
        os.environ.setdefault(key, value)


def is_chatter(line: str) -> bool:
    return bool(CHATTER.match(line.strip()))


def without_chatter(lines):
    """``lines`` less TensorFlow's start-up chatter (for showing a worker's log)."""
    return [line for line in lines if not is_chatter(line)]


@contextlib.contextmanager
def filtered_stderr(enabled: bool | None = None):
    """While inside, whatever this process (or a child) writes to file descriptor 2 passes through a
    thread that drops :data:`CHATTER` lines and forwards everything else as it comes.

    ``enabled=None`` filters only when stderr is a terminal.
    """
    if enabled is None:
        enabled = _isatty(2)
    if not enabled:
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    forwarder = threading.Thread(target=_forward, args=(read_end, terminal), name="stderr-filter", daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)  # closes the pipe's last write end: the forwarder reads to the end, then stops
        forwarder.join(timeout=5)
        os.close(terminal)


def _forward(read_end: int, terminal: int) -> None:
    pending = ""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            pending += chunk.decode("utf-8", "replace")
            *lines, pending = pending.split("\n")
            out = "".join(line + "\n" for line in lines if not is_chatter(line))
            if pending and not _PREFIX.match(pending):  # a partial line that cannot become chatter (a progress bar)
                out, pending = out + pending, ""
            if out:
                os.write(terminal, out.encode("utf-8"))
    if pending and not is_chatter(pending):
        os.write(terminal, pending.encode("utf-8"))


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False
