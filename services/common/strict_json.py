"""JSON as the services accept it from clients: what `json.loads` takes, less what breaks later.

`json.loads` takes documents that crash or corrupt what comes after it: nesting deep enough to
exhaust the recursion limit (a RecursionError, a 500), integers past CPython's 4,300-digit
int() limit (a ValueError, a 500), `NaN` and `Infinity` (not JSON at all), and a `\\ud800`
escape, which gives a string no UTF-8 encoder accepts (the database write fails later). Each is
the client's error: `loads` refuses it with a message fit for a 400 problem.

orjson reads a body first (a 1,000-tick batch: 0.5 ms where json.loads, calling back into Python
for every number, took 2.4 ms). It refuses NaN, infinite numbers and lone surrogates itself, but
reads an integer wider than 64 bits as a float: a body it refuses, or whose value holds a float
that may have been such an integer, is read again by the json.loads path, which decides and
words the refusal."""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

import orjson

# The deepest body of any contract nests 4 levels (nft metadata.attributes[i].value); 32 leaves
# room for new ones while staying far below the recursion limit (1000) of json, jsonschema,
# deepcopy and the JSON columns that walk a body level by level.
MAX_DEPTH = 32
# No contract field holds an integer wider than 64 bits (19 digits). CPython's int() refuses
# more than 4,300 digits (int_max_str_digits) and converts in quadratic time below that.
MAX_INTEGER_DIGITS = 64

# Linear on valid JSON only (an unterminated string makes it rescan from every quote): it runs
# after json.loads has accepted the text.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # brackets in a string don't nest
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# A `\uD800`-`\uDFFF` escape: only then may a string hold a surrogate (raw UTF-8 cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnacceptableJson(ValueError):
    """The body is not JSON the services accept; the message says why, quoting nothing."""


# orjson keeps integers within [-2**63, 2**64) as int; a float outside (-2**63, 2**63) may be
# one it could not keep.
_WIDE = float(2**63)


def loads(text: str) -> Any:
    """The JSON value of `text`, refusing what `json.loads` would let through to break later."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return strict_loads(text)  # refused: the json path says why (or accepts, as before)
    if _needs_a_second_look(value):
        return strict_loads(text)
    return value


def _needs_a_second_look(value: Any) -> bool:
    """Deeper than MAX_DEPTH, or holding a float orjson may have made of a wide integer: one
    pass over the containers, a level at a time."""
    level = [value]
    for _ in range(MAX_DEPTH):  # level n holds the containers n deep
        deeper = []
        for container in level:
            kind = type(container)
            if kind is dict:
                items = container.values()
            elif kind is list:
                items = container
            else:  # a scalar at the top
                items = (container,)
            for item in items:
                kind = type(item)
                if kind is dict or kind is list:
                    deeper.append(item)
                elif kind is float and not -_WIDE < item < _WIDE:
                    return True
        if not deeper:
            return False
        level = deeper
    return True


def strict_loads(text: str) -> Any:
    """`loads` by json.loads alone: the reference, and the path that words every refusal."""
    too_deep = UnacceptableJson(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text, parse_int=_integer, parse_float=_finite_number, parse_constant=_no_constant
        )
    except RecursionError:
        # json's C decoder recurses per level and gives up near the recursion limit (1000).
        raise too_deep from None
    except json.JSONDecodeError as error:
        # msg/lineno/colno only: str(error) is the same, but never the document itself.
        raise UnacceptableJson(
            f"the body is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    if _deeper_than(text, MAX_DEPTH):
        raise too_deep
    if _SURROGATE_ESCAPE.search(text) and _SURROGATE.search(json.dumps(value, ensure_ascii=False)):
        # A surrogate left after decoding is a lone one: a pair decodes to one character.
        raise UnacceptableJson(
            "the body holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair), "
            "which is not text"
        )
    return value


def _deeper_than(text: str, limit: int) -> bool:
    # Counting openings is one fast pass; most bodies stop here.
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text)).encode("ascii")
    # Depth is the highest running sum of +1 per opening and -1 per closing bracket.
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > limit


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UnacceptableJson(
            f"the body holds an integer of {len(digits.lstrip('-'))} digits; "
            f"at most {MAX_INTEGER_DIGITS} are accepted"
        )
    return int(digits)


def _finite_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise UnacceptableJson("the body holds a number too large for a 64-bit float")
    return number


def _no_constant(name: str) -> Any:
    raise UnacceptableJson(f"the body holds {name}, which is not JSON")
