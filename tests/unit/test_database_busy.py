"""A database that is busy (SQLite's lock held past the busy timeout) is an outage to retry,
a 503, not an unexpected 500; anything else SQLite refuses stays an error."""

from __future__ import annotations

import sqlite3

import pytest
from tortoise.exceptions import OperationalError

from services.common.database import database_unavailable

pytestmark = pytest.mark.unit


def raised_from(cause: BaseException) -> OperationalError:
    try:
        try:
            raise cause
        except BaseException as error:
            raise OperationalError(str(error)) from error
    except OperationalError as wrapped:
        return wrapped


def test_a_locked_sqlite_database_is_unavailable_not_broken() -> None:
    assert database_unavailable(raised_from(sqlite3.OperationalError("database is locked")))
    assert database_unavailable(
        raised_from(sqlite3.OperationalError("database table is locked: nft"))
    )


def test_other_sqlite_errors_are_not_outages() -> None:
    assert not database_unavailable(raised_from(sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(raised_from(sqlite3.IntegrityError("UNIQUE failed")))
