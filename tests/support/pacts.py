"""What every consumer-driven contract test shares: the committed pacts under contracts/pacts,
and the drift check of a freshly generated pact against its committed one."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PACTS = Path(__file__).resolve().parents[2] / "contracts" / "pacts"

# pact's engine would otherwise report usage to pact.io from test runs.
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def interactions(path: Path) -> list[dict[str, Any]]:
    return sorted(json.loads(path.read_text())["interactions"], key=lambda i: i["description"])


def assert_committed(generated_dir: Path, name: str, test_file: str) -> None:
    """The pact `name` written by this run's consumer tests equals the committed one; with
    CAPSURE_UPDATE_PACTS=1 the run's pact replaces it (review the diff, then commit)."""
    generated, committed = generated_dir / f"{name}.json", PACTS / f"{name}.json"
    if os.environ.get("CAPSURE_UPDATE_PACTS") == "1":
        PACTS.mkdir(exist_ok=True)
        committed.write_text(generated.read_text())
    consumer, provider = name.split("-", 1)
    assert interactions(generated) == interactions(committed), (
        f"the {consumer} service's expectations of {provider} changed: review, then run "
        f"CAPSURE_UPDATE_PACTS=1 pytest {test_file}"
    )
