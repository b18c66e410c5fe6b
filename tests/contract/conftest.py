"""Fixtures the contract tests share."""

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where one module's consumer tests write their pact, for its drift check to read."""
    return tmp_path_factory.mktemp("pacts")
