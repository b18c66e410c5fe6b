"""Every service's app is built from its settings whole: its idempotency TTL setting is the
one its app replays keyed answers for; a contract without keyed operations (analytics' is
read-only) gets no idempotency store, so its app needs no idempotency table."""

from __future__ import annotations

import importlib
import inspect
from datetime import timedelta
from pathlib import Path

import pytest

from services.common.contracts import load_contract
from services.common.idempotency import operations_with_key
from services.common.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# Every service with a REST app: a services/<name>/bootstrap.py.
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/bootstrap.py"))
TTL_SECONDS = 4321.25  # no default looks like it


def settings_class(service: str) -> type[ServiceSettings]:
    """The ServiceSettings subclass services/<service>/config.py defines."""
    module = importlib.import_module(f"services.{service}.config")
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
        and value.__module__ == module.__name__
    ]
    assert len(found) == 1, f"services/{service}/config.py: {found}"
    return found[0]


def test_every_service_is_covered() -> None:
    assert {"analytics", "nft", "notification", "registry", "trading", "user"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_the_ttl_setting_reaches_the_app(service: str, tmp_path: Path) -> None:
    settings = settings_class(service)(idempotency_ttl_seconds=TTL_SECONDS, data_dir=tmp_path)
    bootstrap = importlib.import_module(f"services.{service}.bootstrap").bootstrap
    app = bootstrap(settings)  # built, not started: no database is opened
    if operations_with_key(load_contract(service)):
        assert app.idempotency is not None, f"{service} has keyed operations and no store"
        assert app.idempotency.ttl == timedelta(seconds=TTL_SECONDS)
    else:
        assert app.idempotency is None, f"{service}'s contract has no keyed operation"
