"""Moments between the contract (RFC 3339) and the domain (Unix milliseconds)."""

from __future__ import annotations

import pytest

from services.analytics.domain.errors import InvalidQuery
from services.analytics.mappers import millis_from_rfc3339, rfc3339_from_millis

pytestmark = pytest.mark.unit

NOON = 1_772_366_400_000  # 2026-03-01T12:00:00Z


@pytest.mark.parametrize(
    ("moment", "millis"),
    [
        ("2026-03-01T12:00:00Z", NOON),
        ("2026-03-01T12:00:00+00:00", NOON),
        ("2026-03-01T17:30:00+05:30", NOON),
        ("2026-03-01T07:00:00-05:00", NOON),
        ("2026-03-01T12:00:00.123Z", NOON + 123),
        ("2026-03-01T12:00:00.1239Z", NOON + 123),  # below a millisecond: floored
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        # The ends of the range, where converting to UTC would overflow.
        ("0001-01-01T00:00:00+23:59", -62_135_596_800_000 - 86_340_000),
        ("9999-12-31T23:59:59-23:59", 253_402_300_799_000 + 86_340_000),
    ],
)
def test_rfc3339_moments_become_unix_milliseconds(moment, millis):
    assert millis_from_rfc3339(moment) == millis


@pytest.mark.parametrize("moment", ["yesterday", "2026-03-01T12:00:00", "2026-13-01T00:00:00Z"])
def test_what_is_not_an_rfc3339_moment_is_an_invalid_query(moment):
    with pytest.raises(InvalidQuery):
        millis_from_rfc3339(moment)


@pytest.mark.parametrize(
    ("millis", "moment"),
    [
        (NOON, "2026-03-01T12:00:00Z"),
        (NOON + 5, "2026-03-01T12:00:00.005000Z"),
        (-86_400_000, "1969-12-31T00:00:00Z"),
    ],
)
def test_unix_milliseconds_are_written_in_utc(millis, moment):
    assert rfc3339_from_millis(millis) == moment
    assert millis_from_rfc3339(moment) == millis
