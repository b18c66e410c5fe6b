"""Fixtures the contract tests share."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fuzzing import administrator_token, fuzzed_platform


@pytest.fixture(scope="module")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where one module's consumer tests write their pact, for its drift check to read."""
    return tmp_path_factory.mktemp("pacts")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, str]]]:
    """Every REST API (services and registry) for one schemathesis module."""
    yield from fuzzed_platform(tmp_path_factory.mktemp("schemathesis"))


@pytest.fixture(scope="module")
def access_token(platform: dict[str, tuple[str, str]]) -> str:
    return administrator_token(platform["user"][0])
