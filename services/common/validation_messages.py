"""What a 400 says when a request breaks its contract: where, and which rule, quoting the input
only through `quoted()`.

jsonschema's own messages print the whole instance (`'xxxx…' is too long` carried a 10 MB field
back, and Connexion logged it twice); its `str(error)` adds the schema and the instance again."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError

from services.common.quoting import quoted

MAX_LISTED = 3  # unexpected fields named in one message; the rest are counted
SECRET_FORMATS = frozenset({"password"})  # OpenAPI's mark of a value to keep out of sight
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,31}")


def describe(error: ValidationError, where: str) -> str:
    """`where` (e.g. "body", "query parameter 'limit'") plus the path inside it, then the rule
    the value breaks."""
    location = where + "".join(_step(step) for step in error.path)
    return f"{location}: {_rule(error)}"


def listed(names: Iterable[object]) -> str:
    """A few names, quoted, and how many more there were."""
    names = sorted(names, key=str)
    shown = ", ".join(quoted(name) for name in names[:MAX_LISTED])
    rest = len(names) - MAX_LISTED
    return f"{shown} and {rest} more" if rest > 0 else shown


def _step(step: str | int) -> str:
    if isinstance(step, int):
        return f"[{step}]"
    return f".{step}" if _PLAIN_NAME.fullmatch(step) else f"[{quoted(step)}]"


def _rule(error: ValidationError) -> str:
    keyword, expected, value = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    # A password's prefix must not reach a log line (nor go back where the response goes).
    shown = "(a secret, not shown)" if schema.get("format") in SECRET_FORMATS else quoted(value)
    match keyword:
        case "type":
            types = [expected] if isinstance(expected, str) else list(expected)
            return f"{shown} is not of type {' or '.join(map(repr, types))}"
        case "maxLength":
            return f"{shown} is longer than {expected} characters"
        case "minLength":
            return f"{shown} is shorter than {expected} characters"
        case "pattern":
            return f"{shown} does not match {expected!r}"
        case "format":
            return f"{shown} is not a valid {expected!r}"
        case "enum":
            return f"{shown} is not one of {list(expected)!r}"
        case "minimum":
            comparison = "at or below" if schema.get("exclusiveMinimum") else "below"
            return f"{shown} is {comparison} the minimum of {expected}"
        case "maximum":
            comparison = "at or above" if schema.get("exclusiveMaximum") else "above"
            return f"{shown} is {comparison} the maximum of {expected}"
        case "maxItems" | "minItems":
            bound = "at most" if keyword == "maxItems" else "at least"
            return f"has {_count(value)} items; {bound} {expected} are allowed"
        case "maxProperties" | "minProperties":
            bound = "at most" if keyword == "maxProperties" else "at least"
            return f"has {_count(value)} fields; {bound} {expected} are allowed"
        case "uniqueItems":
            return "has repeated items; each must be unique"
        case "additionalProperties":
            return f"unexpected field(s) {listed(_unexpected(value, schema))}"
        case "required":
            # The missing name comes from the contract, not the client.
            return error.message
        case _:
            # Connexion's own keywords (readOnly, writeOnly, nullable) say nothing of the input.
            return f"does not satisfy the contract's {keyword!r}"


def _count(value: object) -> str:
    return str(len(value)) if isinstance(value, list | dict) else "some"


def _unexpected(value: Any, schema: dict[str, Any]) -> list[object]:
    if not isinstance(value, dict):
        return []
    known = set(schema.get("properties", {}))
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    return [
        name
        for name in value
        if name not in known and not any(pattern.search(name) for pattern in patterns)
    ]
