"""Fixtures every unit test module may use."""

import pytest

from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """A clock the test moves by hand, starting at 2026-01-01T00:00Z."""
    return FakeClock()
