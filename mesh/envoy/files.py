"""Writing a generated config where Envoy reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mesh.files import atomic_write

FILE_MODE = 0o644  # readable by an Envoy running as another user (a container)


def write_config(config: dict[str, Any], path: Path) -> Path:
    """Write `config` as YAML, atomically (`atomic_write`): a reader (Envoy, a hot restart, a
    test) never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, yaml.safe_dump(config, sort_keys=False).encode(), mode=FILE_MODE)
