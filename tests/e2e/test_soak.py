"""A short soak: `bench.soak` (what `make soak` runs for 10 minutes) for about half a minute.

Half a minute finds no slow leak; it finds a failure under mixed sustained traffic (any error
at all fails it) and a gross leak — memory that grows with every request. The bound is per
process, measured after the soak's warm-up, from the median of the first three samples to the
median of the last three: Python's allocator and SQLite's page cache still settle in steps of
a few MiB on a busy 2-core machine, while a leak of 30 KiB per request (some 1,250 requests
after warm-up) would pass 25 MiB."""

from __future__ import annotations

import pytest

from bench.soak import soak

pytestmark = pytest.mark.e2e

SECONDS = 30.0
GROWTH_LIMIT_MIB = 25.0


def test_a_short_soak_of_mixed_traffic_has_no_errors_and_no_memory_growth(figure):
    result = soak(SECONDS)
    print(result.markdown())
    grown = {label: t.growth for label, t in result.memory.items()}
    worst = max(grown, key=grown.__getitem__)
    figure(
        "soak requests (errors)",
        f"{result.requests} ({len(result.errors)}) in {result.seconds:.0f} s",
    )
    figure("soak largest memory growth", f"{worst}: {grown[worst]:+.1f} MiB")
    assert all(row[2] > 0 for row in result.traffic_rows()), "a kind of traffic sent nothing"
    assert result.errors == [], result.errors[:5]
    assert grown[worst] < GROWTH_LIMIT_MIB, grown
