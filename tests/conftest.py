"""Suite-wide: how pytest-xdist spreads the tests (`make test` runs `--dist loadgroup`)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each file's tests stay on one worker, so the processes a module starts for its tests
    start once; a file may split itself further with its own `xdist_group` marks (the
    schemathesis runs, one per API, are the longest tests of the suite)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
