"""Fixtures shared by the mesh's end-to-end tests.

- `platform_mesh`: every service once behind the edge, for tests that only send requests and
  read counters (deltas), so they can share it; destructive tests start their own mesh.
- `proto`: message classes built by Google's protobuf runtime from a `buf build` image of the
  contracts, for a stock grpcio client (nothing of ours on the client side).
- `figure`: prints a measured figure and keeps it for the summary at the end of the run (also
  under pytest-xdist, where workers' output is not shown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mesh.runner import Mesh
from tests.support.mesh import running_mesh
from tests.support.protobuf import contract_messages

ROOT = Path(__file__).resolve().parents[2]
FIGURE = "figure: "


@pytest.fixture(scope="session")
def platform_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """Every service, one instance each, behind the edge; stopped at the end of the session."""
    services = ("nft", "user", "analytics", "trading", "notification")
    workdir = tmp_path_factory.mktemp("platform-mesh")
    with running_mesh(workdir, instances=dict.fromkeys(services, 1)) as mesh:
        yield mesh


@pytest.fixture(scope="session")
def proto(tmp_path_factory: pytest.TempPathFactory) -> dict[str, type]:
    return contract_messages(tmp_path_factory.mktemp("buf"))


Figure = Callable[[str, str], None]


@pytest.fixture
def figure(record_property: Callable[[str, object], None]) -> Figure:
    """figure("time to eject a killed instance", "12 ms"): printed now, summarised at the end."""

    def report(name: str, value: str) -> None:
        print(f"[figure] {name}: {value}")
        record_property(f"{FIGURE}{name}", value)

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if str(name).startswith(FIGURE):
                    test = report.nodeid.rsplit("::", 1)[-1]
                    lines.append(f"{test}: {name.removeprefix(FIGURE)}: {value}")
    if lines:
        terminalreporter.section("mesh figures (measured)")
        for line in lines:
            terminalreporter.write_line(line)
