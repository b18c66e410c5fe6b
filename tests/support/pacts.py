"""What every consumer-driven contract test shares: the committed pacts under contracts/pacts,
and the drift check of a freshly generated pact against its committed one."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pact import Verifier

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


StateHandler = Callable[..., None] | str


def verified_interactions(
    provider: str, url: str, pact_file: Path, states: StateHandler, bearer: str | None = None
) -> int:
    """Verifies the real `provider` at `url` against `pact_file`; how many interactions were
    verified (a wrong provider name verifies nothing and still "passes", so callers count).
    `states` is a function (setup and teardown), or the URL of a state endpoint that answers
    values for provider-state generators (tests/support/pact_states.py)."""
    verifier = Verifier(provider, host="127.0.0.1").add_transport(url=url).add_source(pact_file)
    if isinstance(states, str):
        verifier = verifier.state_handler(states, teardown=False, body=True)
    else:
        verifier = verifier.state_handler(states, teardown=True)
    if bearer is not None:  # the provider trusts the test signing key: a real, valid token
        verifier = verifier.add_custom_header("Authorization", f"Bearer {bearer}")
    verifier.verify()
    return len(verifier.results["interactionResults"])
