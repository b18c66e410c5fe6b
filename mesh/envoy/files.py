"""Writing a generated config where Envoy reads it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

FILE_MODE = 0o644  # readable by an Envoy running as another user (a container)


def write_config(config: dict[str, Any], path: Path) -> Path:
    """Write `config` as YAML, atomically: a temp file in the same directory, then os.replace,
    so a reader (Envoy, a hot restart, a test) never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, sort_keys=False)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
