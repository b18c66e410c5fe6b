"""The read models' shared parts: statements per dialect, timestamps in the contract's form."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.common.sql_views import contract_timestamp, statement
from services.common.timestamps import rfc3339


def test_a_template_gives_each_dialect_its_own_parameter_markers():
    query = statement(lambda d: f"SELECT x FROM t WHERE a = {d.param(1)} AND b = {d.param(2)}")
    assert query.for_dialect("sqlite") == "SELECT x FROM t WHERE a = ? AND b = ?"
    assert query.for_dialect("postgres") == "SELECT x FROM t WHERE a = $1 AND b = $2"
    with pytest.raises(ValueError, match="mysql"):
        query.for_dialect("mysql")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ],
)
def test_sqlites_text_in_any_offset_reads_as_rfc3339_writes_it(moment):
    stored = moment.isoformat(" ")  # as Tortoise's SQLite adapter stores a datetime
    already = rfc3339(moment.astimezone(UTC))
    assert contract_timestamp(stored) == already
    assert contract_timestamp(already) == already
