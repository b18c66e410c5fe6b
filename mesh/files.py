"""Files the mesh writes where other processes read them: Envoy configs, SDS secrets, the CA,
the control endpoint's state."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

Owner = tuple[int, int]  # (uid, gid)
PRIVATE_DIRECTORY_MODE = 0o700


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, owner: Owner | None = None) -> Path:
    """Write `data` to `path` atomically: a temp file in the same directory (0600 from the
    start: mkstemp), on disk (fsync), given `mode` and `owner`, then renamed over `path`. A
    reader (Envoy watching an SDS file, a hot restart, a test) sees the old file or the new
    one, never half of one, and a private file is never readable by others, not even briefly."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
            if owner is not None:
                os.fchown(file.fileno(), *owner)
            os.fchmod(file.fileno(), mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def private_directory(path: Path) -> Path:
    """`path` as a directory only its owner may enter (0700), made with its parents when
    missing. mkdir's mode applies only to a directory it creates: one already there (0755 from
    an older run, another tool, a volume) is closed here too."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY_MODE)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIRECTORY_MODE:
        os.chmod(path, PRIVATE_DIRECTORY_MODE)
    return path


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """An exclusive flock on `lock_path` (made 0600 if missing) for the block: another process,
    or thread, taking it waits until the block ends."""
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # also releases the lock
