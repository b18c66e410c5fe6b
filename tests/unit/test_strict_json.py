"""What the services refuse of JSON that json.loads accepts: too deep, huge integers, numbers
beyond a double, NaN and Infinity, lone surrogates; and what they still accept."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.strict_json import (
    MAX_DEPTH,
    MAX_INTEGER_DIGITS,
    UnacceptableJson,
    loads,
    strict_loads,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 10_000 + "]" * 10_000, f"nests deeper than {MAX_DEPTH} levels"),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, f"nests deeper than {MAX_DEPTH} levels"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nests deeper"),
        ('{"n": ' + "9" * 4301 + "}", "an integer of 4301 digits"),
        ("-" + "9" * (MAX_INTEGER_DIGITS + 1), f"at most {MAX_INTEGER_DIGITS} are accepted"),
        ("[1e999]", "too large for a 64-bit float"),
        ("1" + "0" * 400 + ".5", "too large for a 64-bit float"),
        ("[NaN]", "holds NaN, which is not JSON"),
        ('{"x": -Infinity}', "holds -Infinity"),
        ('"\\ud800"', "lone UTF-16 surrogate"),
        ('{"\\udc00": 1}', "lone UTF-16 surrogate"),  # in a key too
        ('["\\ude00\\ud83d"]', "lone UTF-16 surrogate"),  # a pair in the wrong order
        ('{"a": }', "not JSON: Expecting value (line 1, column 7)"),
    ],
    ids=[
        "array 10000 deep",
        "object 10000 deep",
        "one too deep",
        "4301 digits",
        "one digit too many",
        "1e999",
        "400-digit float",
        "NaN",
        "-Infinity",
        "lone high surrogate",
        "lone low surrogate in a key",
        "reversed pair",
        "malformed",
    ],
)
def test_refused(text, reason):
    with pytest.raises(UnacceptableJson, match=reason.replace("(", r"\(").replace(")", r"\)")):
        loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        '["' + "[" * 100 + '"]',  # brackets inside a string do not nest
        '{"emoji": "\\ud83d\\ude00"}',  # a surrogate pair is one character
        '"\\\\ud800"',  # an escaped backslash, then plain text
        "9" * MAX_INTEGER_DIGITS,
        "[1e308, -0.0, 1E-400]",
    ],
)
def test_accepted_as_json_loads_reads_it(text):
    assert loads(text) == json.loads(text)


def test_a_refusal_quotes_nothing_of_the_body():
    secret = "s3cr3t" * 1000
    with pytest.raises(UnacceptableJson) as refused:
        loads('{"password": "' + secret + '", "n": NaN}')
    assert "s3cr3t" not in str(refused.value)
    assert len(str(refused.value)) < 200


def flat_body() -> str:
    """Two brackets: the depth check stops at counting them."""
    return json.dumps({"name": "x" * 10_000_000, "values": list(range(100_000))})


def bracket_heavy_body() -> str:
    """300,000 brackets, shallow, and strings holding brackets and escaped quotes: the depth
    check strips the strings and sums every bracket."""
    attributes = [{"trait": f'[{i}] "x" {{', "value": [i, {"x": i}]} for i in range(100_000)]
    return json.dumps({"attributes": attributes})


@pytest.mark.parametrize("body", [flat_body, bracket_heavy_body], ids=["flat", "bracket-heavy"])
def test_a_big_body_costs_about_what_json_loads_does(body):
    text = body()
    started = time.perf_counter()
    json.loads(text)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    loads(text)
    strict = time.perf_counter() - started
    # Generous: a shared 2-core machine; the point is "linear, a small factor", not quadratic.
    assert strict < 10 * plain + 0.5


def test_the_bracket_heavy_body_takes_the_depth_checks_long_way():
    text = bracket_heavy_body()
    assert text.count("[") + text.count("{") > MAX_DEPTH  # else counting alone decides


# --- the orjson path against the json.loads path ---------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, database=None)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**70), max_value=10**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
)
# Text built mostly of JSON's own characters: malformed documents, NaN, escapes, surrogates.
JSONISH = st.text(alphabet='[]{}",:0123456789.eE-+ nulltruefalseNaInfiy\\ud8d0ce00', max_size=40)


def same(a: object, b: object) -> bool:
    """Equal and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


def outcome(read, text: str) -> tuple[str, object]:
    try:
        return "value", read(text)
    except UnacceptableJson as refused:
        return "refused", str(refused)


def assert_same_outcome(text: str) -> None:
    fast, reference = outcome(loads, text), outcome(strict_loads, text)
    assert fast[0] == reference[0], (text, fast, reference)
    assert same(fast[1], reference[1]), (text, fast, reference)


@SETTINGS
@given(VALUES, st.booleans())
def test_documents_read_as_the_json_path_reads_them(value, ascii_only):
    assert_same_outcome(json.dumps(value, ensure_ascii=ascii_only))


@SETTINGS
@given(JSONISH)
def test_anything_is_accepted_or_refused_as_the_json_path_does(text):
    assert_same_outcome(text)


@pytest.mark.parametrize(
    "text",
    [
        str(2**63 - 1),
        str(2**63),
        str(2**64 - 1),
        str(2**64),  # orjson: a float
        str(-(2**63)),
        str(-(2**63) - 1),  # orjson: a float
        "[9223372036854775808.0, 1e19, -1e19]",  # floats in orjson's grey zone
        '{"a": 1, "b": 2, "a": 3}',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1),
        "[" * 2000 + "]" * 2000,  # past orjson's own limit
        '"\\ud800"',
        "\ufeff{}",
        "1e400",
        "-0.0",
    ],
)
def test_edges_read_as_the_json_path_reads_them(text):
    assert_same_outcome(text)
