"""Files the mesh writes where other processes read them: Envoy configs, SDS secrets, the CA,
the control endpoint's state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

Owner = tuple[int, int]  # (uid, gid)


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
