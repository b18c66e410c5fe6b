"""Fixtures the contract tests share."""

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from mesh.processes import AppProcess
from tests.support.fuzzing import administrator_token, fuzzed_platform
from tests.support.platform import running_services
from tests.support.protobuf import contract_messages


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


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, type]:
    """The market data messages, built by Google's protobuf runtime from the contracts."""
    return contract_messages(tmp_path_factory.mktemp("buf"))


@pytest.fixture(scope="module")
def analytics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """One running analytics instance for one module of stock grpcio client tests."""
    with running_services(tmp_path_factory.mktemp("grpc"), ["analytics"]) as services:
        yield services["analytics"]


@pytest.fixture(scope="module")
def channel(analytics: AppProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(analytics.grpc_address) as channel:
        yield channel
