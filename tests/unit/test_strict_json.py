"""What the services refuse of JSON that json.loads accepts: too deep, huge integers, numbers
beyond a double, NaN and Infinity, lone surrogates; and what they still accept."""

from __future__ import annotations

import json
import time

import pytest

from services.common.strict_json import MAX_DEPTH, MAX_INTEGER_DIGITS, UnacceptableJson, loads

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
