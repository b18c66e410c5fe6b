"""An app tells whoever started it that it is ready, instead of being polled: the launcher
(mesh/processes.py `ReadyPipe`) hands it the write end of a pipe, its number in
CAPSURE_READY_FD; the app writes one word there once, `serving` (it answers requests) or
`registered` (and the registry has it), and closes it. Without the variable nothing happens."""

from __future__ import annotations

import contextlib
import os
import stat

READY_FD_ENV = "CAPSURE_READY_FD"
SERVING = "serving"
REGISTERED = "registered"


def announce(word: str) -> None:
    """Write `word` to the readiness pipe, once per process (the variable is consumed).
    Anything but an inherited pipe past stderr is left alone (a stray CAPSURE_READY_FD=1 must
    not close stdout): readiness is only a hint, the launcher checks health after it."""
    value = os.environ.pop(READY_FD_ENV, None)
    fd = readiness_pipe(value)
    if fd is None:
        return
    with contextlib.suppress(OSError):
        try:
            os.write(fd, f"{word}\n".encode())
        finally:
            os.close(fd)


def readiness_pipe(value: str | None) -> int | None:
    """The descriptor CAPSURE_READY_FD names, when it is an open pipe other than 0-2."""
    if value is None or not value.isdigit() or len(value) > 9 or int(value) <= 2:
        return None
    try:
        return int(value) if stat.S_ISFIFO(os.fstat(int(value)).st_mode) else None
    except OSError:
        return None
