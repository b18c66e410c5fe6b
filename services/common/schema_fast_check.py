"""A fast yes/no answer to "does this instance satisfy this Draft 4 schema?", for the subset of
Draft 4 the contracts' request bodies use, to spare jsonschema's per-keyword generator
machinery on large bodies (a 1,000-tick batch).

It only ever decides "valid": a caller runs jsonschema whenever it answers False (or raises),
so every refusal is still jsonschema's. Each keyword is checked as jsonschema 4's Draft 4
function checks it (`jsonschema._keywords`, `_legacy_keywords`, `_types`), with Connexion's
`nullable`/`x-nullable` on `type` and `enum` (`connexion.json_schema.Draft4RequestValidator`),
and formats by the very checker functions of the format checker handed in, looked up on each
use (the checker is process-wide; `rest_fixes.register_formats` adds to it). A schema using
any Draft 4 keyword not handled here, `$ref`, a non-string `enum`, tuple `items` or a value
of unexpected shape is refused by `compile_fast_check` (None): it is checked by jsonschema
alone. Keywords Draft 4 does not know (`description`, `example`, `x-…`) are ignored, as
jsonschema ignores them."""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

Check = Callable[[Any], bool]

# Draft 4's keywords (jsonschema's Draft4Validator.VALIDATORS) handled here; any other of them
# makes the schema unsupported.
_HANDLED = frozenset(
    {
        "type",
        "enum",
        "format",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "pattern",
    }
)
_DRAFT4_KEYWORDS = frozenset(Draft4Validator.VALIDATORS)


class Unsupported(Exception):
    """The schema uses something this module cannot check exactly as jsonschema does."""


def compile_fast_check(schema: Any, format_checker: FormatChecker) -> Check | None:
    """A check answering True only for instances jsonschema's Draft 4 request validator
    accepts; None when the schema is outside the subset handled here."""
    try:
        return _compile(schema, format_checker)
    except Unsupported:
        return None


def _is_integer(value: Any) -> bool:
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _is_number(value: Any) -> bool:
    # The exact types first: numbers.Number is an ABC, slow to ask of every tick of a batch.
    kind = type(value)
    return (
        kind is float
        or kind is int
        or (isinstance(value, numbers.Number) and not isinstance(value, bool))
    )


_TYPES: dict[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "integer": _is_integer,
    "number": _is_number,
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


def _compile(schema: Any, format_checker: FormatChecker) -> Check:
    if not isinstance(schema, dict):
        raise Unsupported("a boolean or malformed schema")
    used = _DRAFT4_KEYWORDS.intersection(schema)
    if "$ref" in schema or not used <= _HANDLED:
        raise Unsupported(f"keywords {sorted(used - _HANDLED)}")
    # Connexion's allow_nullable, on `type` and `enum` only.
    nullable = schema.get("x-nullable") is True or bool(schema.get("nullable"))
    checks: list[Check] = []
    if "type" in schema:
        checks.append(_type_check(schema["type"], nullable))
    if "enum" in schema:
        checks.append(_enum_check(schema["enum"], nullable))
    if "format" in schema:
        checks.append(_format_check(schema["format"], format_checker))
    checks.extend(_object_checks(schema, format_checker))
    checks.extend(_array_checks(schema, format_checker))
    checks.extend(_string_checks(schema))
    checks.extend(_number_checks(schema))
    return _all(checks)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def check(value: Any) -> bool:
        # Loops, not all(…): a generator per call costs more than the checks (hot: per tick).
        for one in frozen:  # noqa: SIM110
            if not one(value):
                return False
        return True

    return check


def _type_check(types: Any, nullable: bool) -> Check:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not names or not all(name in _TYPES for name in names):
        raise Unsupported(f"type {types!r}")
    checks = tuple(_TYPES[name] for name in names)
    if len(checks) == 1 and not nullable:
        return checks[0]

    def check(value: Any) -> bool:
        if nullable and value is None:
            return True
        return any(one(value) for one in checks)

    return check


def _enum_check(values: Any, nullable: bool) -> Check:
    # jsonschema's `equal`: a str equals only a str, by ==; other values are not handled here.
    if not isinstance(values, list) or not all(isinstance(each, str) for each in values):
        raise Unsupported("enum of non-strings")
    allowed = frozenset(values)
    return lambda value: (
        (nullable and value is None) or (isinstance(value, str) and value in allowed)
    )


def _format_check(name: Any, format_checker: FormatChecker) -> Check:
    if not isinstance(name, str):
        raise Unsupported("format")

    def check(value: Any) -> bool:
        known = format_checker.checkers.get(name)  # per use, as FormatChecker.check looks up
        if known is None:
            return True
        function, raises = known
        try:
            return bool(function(value))
        except raises:
            return False

    return check


def _count(schema: dict[str, Any], keyword: str) -> int | None:
    value = schema.get(keyword)
    if value is None:
        return None
    if not _is_integer(value):
        raise Unsupported(f"{keyword} {value!r}")
    return int(value)


def _object_checks(schema: dict[str, Any], format_checker: FormatChecker) -> list[Check]:
    checks: list[Check] = []
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise Unsupported("properties")
        compiled = tuple((name, _compile(sub, format_checker)) for name, sub in properties.items())

        def check_properties(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            for name, one in compiled:  # noqa: SIM110
                if name in value and not one(value[name]):
                    return False
            return True

        checks.append(check_properties)
    required = schema.get("required")
    if required is not None:
        if not isinstance(required, list):
            raise Unsupported("required")
        names = tuple(required)

        def check_required(value: Any) -> bool:
            if isinstance(value, dict):
                for name in names:  # a loop: all(…) makes a generator per call
                    if name not in value:
                        return False
            return True

        checks.append(check_required)
    if "additionalProperties" in schema:
        checks.extend(_additional_properties(schema, format_checker))
    low, high = _count(schema, "minProperties"), _count(schema, "maxProperties")
    if low is not None:
        checks.append(lambda value: not isinstance(value, dict) or len(value) >= low)
    if high is not None:
        checks.append(lambda value: not isinstance(value, dict) or len(value) <= high)
    return checks


def _additional_properties(schema: dict[str, Any], format_checker: FormatChecker) -> list[Check]:
    additional = schema["additionalProperties"]
    known = frozenset(schema.get("properties") or {})
    if additional is True:
        return []
    if additional is False:
        return [lambda value: not isinstance(value, dict) or known.issuperset(value)]
    if isinstance(additional, dict):
        each = _compile(additional, format_checker)
        return [
            lambda value: (
                not isinstance(value, dict)
                or all(each(item) for name, item in value.items() if name not in known)
            )
        ]
    raise Unsupported("additionalProperties")


def _array_checks(schema: dict[str, Any], format_checker: FormatChecker) -> list[Check]:
    checks: list[Check] = []
    items = schema.get("items")
    if items is not None:
        if not isinstance(items, dict):
            raise Unsupported("tuple items")
        each = _compile(items, format_checker)

        def check_items(value: Any) -> bool:
            if not isinstance(value, list):
                return True
            for item in value:  # noqa: SIM110
                if not each(item):
                    return False
            return True

        checks.append(check_items)
    low, high = _count(schema, "minItems"), _count(schema, "maxItems")
    if low is not None:
        checks.append(lambda value: not isinstance(value, list) or len(value) >= low)
    if high is not None:
        checks.append(lambda value: not isinstance(value, list) or len(value) <= high)
    return checks


def _string_checks(schema: dict[str, Any]) -> list[Check]:
    """minLength, maxLength and pattern as one check (a string is asked once: hot per tick)."""
    low, high = _count(schema, "minLength"), _count(schema, "maxLength")
    pattern = schema.get("pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise Unsupported("pattern")
    if low is None and high is None and pattern is None:
        return []
    shortest, longest = low or 0, high
    search = None if pattern is None else re.compile(pattern).search  # as re.search compiles

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return True
        length = len(value)
        if length < shortest or (longest is not None and length > longest):
            return False
        return search is None or search(value) is not None

    return [check]


def _number_checks(schema: dict[str, Any]) -> list[Check]:
    """minimum and maximum (each exclusive or not) as one check."""
    for keyword in ("minimum", "maximum"):
        if keyword in schema and not _is_number(schema[keyword]):
            raise Unsupported(keyword)
    if "minimum" not in schema and "maximum" not in schema:
        return []
    low, high = schema.get("minimum"), schema.get("maximum")
    low_exclusive = bool(schema.get("exclusiveMinimum", False))
    high_exclusive = bool(schema.get("exclusiveMaximum", False))

    def check(value: Any) -> bool:
        if not _is_number(value):
            return True
        if low is not None and (value <= low if low_exclusive else value < low):
            return False
        return high is None or not (value >= high if high_exclusive else value > high)

    return [check]
