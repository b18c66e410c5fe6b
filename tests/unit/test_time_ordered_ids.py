"""Time-ordered ids: version 7 layout, strictly increasing (also within one millisecond and
when the clock steps back), distinct between generators."""

from __future__ import annotations

import pytest

from services.common.time_ordered_ids import time_ordered_ids

pytestmark = pytest.mark.unit


def test_ids_are_version_7_and_carry_their_millisecond():
    new_id = time_ordered_ids(lambda: 1_767_225_600.123)
    made = new_id()
    assert made.version == 7
    assert made.variant == "specified in RFC 4122"
    assert made.int >> 80 == 1_767_225_600_123


def test_ids_increase_within_a_millisecond_past_the_counter_and_when_the_clock_steps_back():
    moments = iter([5.0] * 5000 + [4.0] * 10 + [6.0] * 10)
    new_id = time_ordered_ids(lambda: next(moments))
    made = [new_id() for _ in range(5020)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [str(u) for u in made] == sorted(str(u) for u in made)  # as text too (SQLite)


def test_two_generators_at_the_same_moment_differ():
    first, second = time_ordered_ids(lambda: 1.0), time_ordered_ids(lambda: 1.0)
    assert first() != second()


def test_an_id_is_the_uuid_its_number_makes():
    """Made without UUID's constructor: equal, hashed, printed, pickled and copied as
    UUID(int=...) is."""
    import copy
    import pickle
    from uuid import UUID

    made = time_ordered_ids()()
    same = UUID(int=made.int)
    assert made == same and hash(made) == hash(same) and str(made) == str(same)
    assert repr(made) == repr(same) and made.is_safe == same.is_safe
    assert pickle.loads(pickle.dumps(made)) == same and copy.copy(made) == same
    assert UUID(str(made)) == made and made.bytes == same.bytes
