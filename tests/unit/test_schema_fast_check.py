"""The fast body check (`schema_fast_check`) says "valid" exactly when jsonschema's Draft 4
request validator does, over every request body schema of contracts/openapi/*.yaml: valid
instances generated from each schema, the same mutated (wrong types, 1.0 for 1, bad formats,
extra or missing properties, bounds, huge numbers) and arbitrary JSON. Through an app, the
answers with and without it are identical."""

from __future__ import annotations

import copy
import datetime
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from connexion.json_schema import Draft4RequestValidator
from connexion.spec import Specification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from services.common import request_validators, rest_fixes
from services.common.outbox import InMemoryOutboxStore
from services.common.request_validators import FastFirstValidator
from services.common.schema_fast_check import compile_fast_check
from services.trading.bootstrap import bootstrap, build_deps
from services.trading.config import TradingSettings
from tests.support.asgi import asgi_client
from tests.support.clock import FakeClock
from tests.support.tokens import bearer, jwks_url
from tests.unit.trading_fakes import InMemoryTickRepository, RecordingTransaction

pytestmark = pytest.mark.unit

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
# The request bodies jsonschema alone checks, and why: `uniqueItems` (jsonschema's equality
# of 1 and True, of 1 and 1.0) is not reimplemented.
JSONSCHEMA_ONLY = {"user.yaml PUT /api/users/{userId}/roles application/json"}

rest_fixes.register_formats()  # as every app does before it validates


def _request_bodies() -> Iterator[tuple[str, dict[str, Any]]]:
    for contract in sorted(CONTRACTS.glob("*.yaml")):
        spec = Specification.load(contract)  # $refs resolved, as Connexion hands them over
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "requestBody" not in operation:
                    continue
                for media_type, content in operation["requestBody"]["content"].items():
                    name = f"{contract.name} {method.upper()} {path} {media_type}"
                    yield name, content["schema"]


BODIES = dict(_request_bodies())


def test_every_request_body_but_the_listed_takes_the_fast_check() -> None:
    assert len(BODIES) >= 20
    slow = {name for name, schema in BODIES.items() if FastFirstValidator(schema).fast is None}
    assert slow == JSONSCHEMA_ONLY


# --- instances -----------------------------------------------------------------------------

_UTC = datetime.UTC
_FORMATTED: dict[str, st.SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "date-time": st.datetimes(timezones=st.just(_UTC)).map(lambda at: at.isoformat()),
    "email": st.from_regex(r"\A[a-z]{1,8}@[a-z]{1,8}\.com\Z"),
    "uri": st.from_regex(r"\Ahttps?://[a-z]{1,10}\.example/[a-z0-9]{0,8}\Z"),
}


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
    if "pattern" in schema and "format" not in schema:
        strings = st.from_regex(schema["pattern"], fullmatch=True)
    elif schema.get("format") in _FORMATTED:
        strings = _FORMATTED[schema["format"]]
    else:
        strings = st.text(min_size=low, max_size=min(high, low + 40))
    return strings.filter(lambda text: low <= len(text) <= high)


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low, high = schema.get("minimum"), schema.get("maximum")
    if integer:
        return st.integers(
            None if low is None else math.ceil(low) + bool(schema.get("exclusiveMinimum")),
            None if high is None else math.floor(high) - bool(schema.get("exclusiveMaximum")),
        )
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min=bool(schema.get("exclusiveMinimum")) and low is not None,
        exclude_max=bool(schema.get("exclusiveMaximum")) and high is not None,
    )


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Instances meant to satisfy `schema` (the tests do not rely on it: both checks judge)."""
    values = _valid(schema)
    if schema.get("nullable"):
        return st.none() | values
    return values


def _valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        least = schema.get("minProperties", 0)
        return st.fixed_dictionaries(
            {name: valid(properties[name]) for name in required if name in properties},
            optional={name: valid(sub) for name, sub in properties.items() if name not in required},
        ).filter(lambda value: len(value) >= least)
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(
            valid(schema.get("items", {})),
            min_size=low,
            max_size=min(schema.get("maxItems", 4), low + 4),
            unique_by=(lambda item: repr(item)) if schema.get("uniqueItems") else None,
        )
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return st.booleans()
    return JSON


JSON: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

HOSTILE: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -1,
    0.5,
    2**63,
    2**70,
    -(2**70),
    10**400,
    1e308,
    -0.0,
    "",
    " ",
    "x" * 300,
    "BTC\n",
    "btc",
    "not-a-uuid",
    str(uuid4()).upper(),
    "2024-13-45T00:00:00Z",
    "2024-01-01 00:00:00",
    "http://",
    "no at sign",
    "\u00e9" * 30,
    [],
    [1],
    {},
    {"a": 1},
    [[[[[]]]]],
]


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _swap_number(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and abs(value) < 2**1000:
        return float(value)  # draft 4: 1.0 is not an integer
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


@st.composite
def mutated(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    instance = copy.deepcopy(draw(valid(schema)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(instance))))
        if not path:
            instance = copy.deepcopy(draw(st.sampled_from(HOSTILE) | JSON))
            continue
        parent = instance
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "swap", "delete", "extra", "grow", "edge"]))
        if action == "replace":
            # A copy: later steps change it in place, and HOSTILE must stay as it is.
            parent[last] = copy.deepcopy(draw(st.sampled_from(HOSTILE) | JSON))
        elif action == "swap":
            parent[last] = _swap_number(parent[last])
        elif action == "delete":
            del parent[last]
        elif action == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "", "ticks", "name"]))] = draw(JSON)
        elif action == "grow" and isinstance(parent[last], list) and parent[last]:
            times = draw(st.sampled_from([2, 300, 1001]))
            parent[last] = [copy.deepcopy(item) for item in parent[last] * times]
        elif action == "edge" and isinstance(parent[last], str):
            parent[last] = parent[last] + draw(st.sampled_from(["\n", "x", " ", "-", "\x00"]))
    return instance


def _same_answer(schema: dict[str, Any], instance: Any) -> None:
    jsonschema_accepts = (
        next(
            Draft4RequestValidator(
                schema, format_checker=Draft4Validator.FORMAT_CHECKER
            ).iter_errors(instance),
            None,
        )
        is None
    )
    fast = compile_fast_check(schema, Draft4Validator.FORMAT_CHECKER)
    assert fast is not None
    assert fast(instance) is jsonschema_accepts, instance
    # What the body validator answers: jsonschema's errors, or none.
    answered = [error.message for error in FastFirstValidator(schema).iter_errors(instance)]
    assert not answered if jsonschema_accepts else answered


FAST_BODIES = sorted(name for name in BODIES if name not in JSONSCHEMA_ONLY)
_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@pytest.mark.parametrize("name", FAST_BODIES)
@_SETTINGS
@given(data=st.data())
def test_valid_instances_are_judged_alike(name: str, data: st.DataObject) -> None:
    schema = BODIES[name]
    _same_answer(schema, data.draw(valid(schema)))


@pytest.mark.parametrize("name", FAST_BODIES)
@_SETTINGS
@given(data=st.data())
def test_mutated_instances_are_judged_alike(name: str, data: st.DataObject) -> None:
    schema = BODIES[name]
    _same_answer(schema, data.draw(mutated(schema)))


@pytest.mark.parametrize("name", FAST_BODIES)
@_SETTINGS
@given(data=st.data())
def test_any_json_is_judged_alike(name: str, data: st.DataObject) -> None:
    schema = BODIES[name]
    _same_answer(schema, data.draw(JSON | st.sampled_from(HOSTILE)))


@pytest.mark.parametrize("name", FAST_BODIES)
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_valid_instances_do_pass_the_fast_check(name: str, data: st.DataObject) -> None:
    """Else the differential tests above would compare refusals only."""
    fast = compile_fast_check(BODIES[name], Draft4Validator.FORMAT_CHECKER)
    assert fast is not None
    instance = data.draw(valid(BODIES[name]))
    assert fast(instance), instance


TICK_BATCH = BODIES["trading.yaml POST /api/trading/market-data/batches application/json"]
TICK = {"assetSymbol": "BTC-USD", "price": 100.5, "timestamp": 1_700_000_000_000}


@pytest.mark.parametrize(
    "tick, accepted",
    [
        (TICK, True),
        ({**TICK, "quantity": 0}, True),
        ({**TICK, "timestamp": 1_700_000_000_000.0}, False),  # draft 4: not an integer
        ({**TICK, "timestamp": True}, False),
        ({**TICK, "timestamp": 2**70}, False),
        ({**TICK, "price": 0}, False),  # exclusiveMinimum
        ({**TICK, "price": 10**400}, False),
        ({**TICK, "assetSymbol": "BTC\n"}, True),  # re.search's `$`, jsonschema's own answer
        ({**TICK, "assetSymbol": "btc"}, False),
        ({**TICK, "extra": 1}, False),
        ({"assetSymbol": "BTC", "price": 1.0}, False),
        ({**TICK, "quantity": None}, False),
    ],
)
def test_tick_batch_edge_cases(tick: dict[str, Any], accepted: bool) -> None:
    fast = compile_fast_check(TICK_BATCH, Draft4Validator.FORMAT_CHECKER)
    assert fast is not None
    assert fast({"ticks": [TICK, tick]}) is accepted
    _same_answer(TICK_BATCH, {"ticks": [TICK, tick]})


def test_batch_bounds_are_judged_alike() -> None:
    for count in (0, 1, 1000, 1001):
        _same_answer(TICK_BATCH, {"ticks": [TICK] * count})


@pytest.mark.parametrize(
    "schema",
    [
        {"$ref": "#/definitions/x"},
        {"type": "array", "uniqueItems": True},
        {"anyOf": [{"type": "string"}]},
        {"allOf": [{"type": "string"}]},
        {"not": {"type": "string"}},
        {"type": "number", "multipleOf": 2},
        {"type": "object", "patternProperties": {"^a": {}}},
        {"type": "object", "dependencies": {"a": ["b"]}},
        {"type": "array", "items": [{"type": "string"}]},
        {"type": "array", "additionalItems": False},
        {"enum": [1, "1"]},
        {"type": "decimal"},
        {"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}},
        {"type": "object", "additionalProperties": {"$ref": "#/x"}},
        True,
    ],
)
def test_what_cannot_be_checked_alike_is_left_to_jsonschema(schema: Any) -> None:
    assert compile_fast_check(schema, Draft4Validator.FORMAT_CHECKER) is None


def test_a_format_registered_after_compiling_is_checked() -> None:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    fast = compile_fast_check({"type": "string", "format": "shouty"}, checker)
    assert fast is not None and fast("quiet")
    checker.checks("shouty", raises=ValueError)(lambda value: value.isupper())
    assert not fast("quiet") and fast("LOUD")


def test_a_format_checker_raising_what_it_declares_is_a_refusal() -> None:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    def refuse(value: object) -> bool:
        raise ValueError("no")

    checker.checks("never", raises=ValueError)(refuse)
    fast = compile_fast_check({"format": "never"}, checker)
    assert fast is not None and not fast("x")


# --- through an app ------------------------------------------------------------------------


def _trading_app() -> Any:
    repo = InMemoryTickRepository()
    outbox = InMemoryOutboxStore(FakeClock())
    deps = build_deps(
        repo, outbox, clock=FakeClock(), transaction=RecordingTransaction(repo, outbox)
    )
    return bootstrap(TradingSettings(validate_responses=True, jwks_url=jwks_url()), deps=deps)


SAMPLE_BODIES: list[bytes] = [
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1.5, "timestamp": 1700000000000}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1.5, "timestamp": 1700000000000.0}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 0, "timestamp": 1}]}',
    b'{"ticks": [{"assetSymbol": "btc", "price": 1, "timestamp": 1}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1, "timestamp": 1, "x": 1}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1}]}',
    b'{"ticks": []}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1, "timestamp": true}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": "1", "timestamp": 1}]}',
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1, "timestamp": 99999999999999999999}]}',
    b'{"ticks": {}}',
    b"[]",
    b"null",
    b"{}",
    b'{"ticks": [{"assetSymbol": "BTC", "price": 1, "timestamp": 1}], "more": 1}',
    b'{"ticks": [' + b",".join([b'{"assetSymbol":"E","price":2,"timestamp":5}'] * 1001) + b"]}",
]


async def _answers() -> list[tuple[int, Any]]:
    answers = []
    async with asgi_client(_trading_app()) as client:
        client.headers.update(bearer(uuid4(), roles=["Developer"]))
        for n, body in enumerate(SAMPLE_BODIES):
            response = await client.post(
                "/api/trading/market-data/batches",
                content=body,
                headers={"Content-Type": "application/json", "Idempotency-Key": f"k{n}"},
            )
            payload = response.json()
            if response.status_code < 300:
                payload = {key: payload[key] for key in ("accepted",) if key in payload}
            answers.append((response.status_code, payload))
    return answers


async def test_an_app_answers_alike_with_and_without_the_fast_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    real = request_validators.compile_fast_check

    def counted(schema: Any, checker: Any) -> Any:
        fast = real(schema, checker)
        if fast is None:
            return None
        return lambda value: calls.append(1) or fast(value)

    monkeypatch.setattr(request_validators, "compile_fast_check", counted)
    fast_answers = await _answers()
    assert calls, "the fast check was not used"
    monkeypatch.setattr(request_validators, "compile_fast_check", lambda schema, checker: None)
    assert fast_answers == await _answers()
    statuses = [status for status, _ in fast_answers]
    assert statuses[0] in (200, 201, 202) and statuses.count(400) >= 10, fast_answers


def test_patterns_are_searched_as_jsonschema_searches() -> None:
    """`$` matches before a final newline with re.search: both accept "BTC\\n"."""
    assert re.search("^[A-Z]+$", "BTC\n")
