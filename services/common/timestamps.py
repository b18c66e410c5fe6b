"""Timestamps as the contracts write them: RFC 3339, UTC as `Z`."""

from datetime import datetime


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
