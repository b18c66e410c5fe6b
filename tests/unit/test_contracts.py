"""services.common.contracts: the one reading of the OpenAPI contracts that the services'
routers and the edge's token rules share."""

from __future__ import annotations

import re
from typing import Any, cast

import pytest
from connexion.middleware.routing import RoutingMiddleware
from connexion.resolver import Resolver
from connexion.spec import Specification
from starlette.routing import Match, Mount, Route, Router

from services.common.access import roles_by_operation
from services.common.contracts import (
    CONTRACTS,
    ContractError,
    Operation,
    load_contract,
    load_operations,
    most_specific_first,
    operations,
    specificity,
)
from services.common.idempotency import operations_with_key

pytestmark = pytest.mark.unit

SERVICES = sorted(path.stem for path in CONTRACTS.glob("*.yaml"))
BEARER = [{"bearerAuth": []}]


def sample_path(template: str) -> str:
    """A concrete path of a template: every parameter one segment no literal segment is."""
    return re.sub(r"\{[^/}]+\}", "7", template)


def connexion_routes(contract: dict[str, Any]) -> list[Route]:
    """The routes Connexion's routing middleware registers for the contract, in its order."""
    routing = RoutingMiddleware(app=unreachable)
    routing.add_api(
        Specification.load(contract),
        resolver=Resolver(function_resolver=lambda _operation_id: unreachable),
    )
    [mount] = routing.router.routes
    assert isinstance(mount, Mount) and isinstance(mount.app, Router)
    routes = mount.app.routes
    assert all(isinstance(route, Route) for route in routes)
    return cast(list[Route], routes)


async def unreachable(*args: Any) -> None:
    raise AssertionError("only routes are looked at")


def routed(routes: list[Route], method: str, path: str) -> str:
    """The template Starlette's router picks for a request: the first full match (path and
    method), else the first partial one (path only: a 405)."""
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.path
        if match is Match.PARTIAL and partial is None:
            partial = route.path
    if partial is None:
        raise AssertionError(f"no route for {method} {path}")
    return partial


def contract(paths: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        **top,
    }


# --- one specificity rule, as Connexion routes ------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_connexion_routes_every_operation_to_its_own_template(service: str) -> None:
    routes = connexion_routes(load_contract(service))
    for op in load_operations(service):
        assert routed(routes, op.method, sample_path(op.template)) == op.template, op


@pytest.mark.parametrize("service", SERVICES)
def test_connexion_adds_routes_in_specificity_order(service: str) -> None:
    routes = connexion_routes(load_contract(service))
    templates = list(dict.fromkeys(route.path for route in routes))  # a route per method
    assert templates == sorted(templates, key=specificity)


def _connexion_key_before(template: str) -> list[tuple[bool, str]]:
    """The route order rule services/common/rest_fixes.py had before this module: a segment
    starting with `{` after a literal one (the edge's rule: a segment containing a parameter)."""
    return [(segment.startswith("{"), segment) for segment in template.strip("/").split("/")]


@pytest.mark.parametrize("service", SERVICES)
def test_the_two_former_rules_give_the_one_order_on_every_contract(service: str) -> None:
    paths = list(load_contract(service)["paths"])
    assert paths == sorted(paths, key=_connexion_key_before)
    assert paths == sorted(paths, key=specificity)


def test_a_literal_path_listed_after_a_template_still_routes_to_itself() -> None:
    answer = {"responses": {"200": {"description": "ok"}}}
    paths = {
        "/x/{id}": {"get": {"operationId": "by_id", **answer}},
        "/x/me": {"get": {"operationId": "me", **answer}},
    }
    # In the order written, Connexion would send /x/me to /x/{id}: what the sorting prevents.
    assert routed(connexion_routes(contract(paths)), "GET", "/x/me") == "/x/{id}"
    sorted_contract = contract(most_specific_first(paths))
    assert routed(connexion_routes(sorted_contract), "GET", "/x/me") == "/x/me"
    assert routed(connexion_routes(sorted_contract), "GET", "/x/7") == "/x/{id}"


def test_a_segment_with_a_parameter_inside_is_a_template_segment() -> None:
    # `{name}.json` matches many segments: a literal segment beats it, as it beats `{name}`.
    order = list(most_specific_first({"/f/{name}.json": {}, "/f/index.json": {}, "/f/{x}": {}}))
    assert order == ["/f/index.json", "/f/{name}.json", "/f/{x}"]


# --- operations ---------------------------------------------------------------------------


def test_an_operation_says_who_may_call_it_and_whether_it_takes_a_key() -> None:
    found = operations(
        contract(
            {
                "/things": {
                    "parameters": [{"$ref": "#/components/parameters/Key"}],
                    "post": {"operationId": "create", "security": BEARER},
                },
                "/things/{id}": {
                    "get": {"operationId": "read"},
                    "put": {
                        "operationId": "moderate",
                        "security": BEARER,
                        "x-roles": ["Moderator", "Admin"],
                        "parameters": [{"name": "idempotency-key", "in": "header"}],
                    },
                },
                "/internal/things": {
                    "post": {
                        "operationId": "sell",
                        "x-callers": ["trading"],
                        "x-idempotency-key": "by-operation",
                        "parameters": [{"$ref": "#/components/parameters/Key"}],
                    }
                },
            },
            servers=[{"url": "/api/v2"}],
            components={"parameters": {"Key": {"name": "Idempotency-Key", "in": "header"}}},
        )
    )
    assert found == [
        Operation("POST", "/api/v2/things", False, "create", idempotency_key=True),
        Operation("GET", "/api/v2/things/{id}", True, "read"),
        Operation(
            "PUT",
            "/api/v2/things/{id}",
            False,
            "moderate",
            roles=frozenset({"Moderator", "Admin"}),
            idempotency_key=True,
        ),
        Operation(
            "POST",
            "/api/v2/internal/things",
            True,
            "sell",
            idempotency_key=True,
            keeps_own_keys=True,
            callers=("trading",),
        ),
    ]


@pytest.mark.parametrize(
    ("extension", "message"),
    [
        ({"x-roles": ["Admin"], "security": []}, "has x-roles but no security"),
        ({"x-roles": ["Admin"]}, "has x-roles but no security"),
        ({"x-roles": [], "security": BEARER}, "non-empty list of role names"),
        ({"x-roles": "Admin", "security": BEARER}, "non-empty list of role names"),
        ({"x-callers": "trading"}, "list of distinct service names"),
        ({"x-callers": ["trading", 7]}, "list of distinct service names"),
        ({"x-callers": ["trading", ""]}, "list of distinct service names"),
        ({"x-callers": ["trading", "trading"]}, "list of distinct service names"),
    ],
)
def test_a_malformed_extension_is_refused_naming_the_operation(
    extension: dict[str, Any], message: str
) -> None:
    malformed = contract({"/internal/x": {"post": {"operationId": "x", **extension}}})
    with pytest.raises(ContractError, match=f"^POST /internal/x.*{message}"):
        operations(malformed)


def test_an_empty_caller_list_is_kept_apart_from_none_declared() -> None:
    found = operations(
        contract({"/a": {"get": {"x-callers": []}, "put": {}}}),
    )
    assert [op.callers for op in found] == [(), None]


@pytest.mark.parametrize("service", SERVICES)
def test_every_contract_reads_with_its_extensions(service: str) -> None:
    found = load_operations(service)
    assert found
    ids = [op.operation_id for op in found]
    assert None not in ids and len(set(ids)) == len(ids)  # Connexion resolves handlers by it
    for op in found:
        assert op.callers is None or all(isinstance(name, str) for name in op.callers)


def test_roles_and_keyed_operations_of_the_services_come_from_the_operations() -> None:
    user = load_contract("user")
    assert roles_by_operation(user)["list_users"] == frozenset({"Admin"})
    trading = load_contract("trading")
    feeds = frozenset({"Developer", "Admin"})
    assert roles_by_operation(trading) == {
        "submit_market_data": feeds,
        "submit_market_data_batch": feeds,
    }
    keeps_own = {op.operation_id for op in load_operations("trading") if op.keeps_own_keys}
    assert keeps_own == {"buy_listing"}
    assert "buy_listing" not in operations_with_key(trading)
    assert (
        operations_with_key(trading)
        == {op.operation_id for op in load_operations("trading") if op.idempotency_key} - keeps_own
    )


def test_internal_operations_are_those_under_internal_and_all_name_their_callers() -> None:
    internal = [op for service in SERVICES for op in load_operations(service) if op.internal]
    assert {op.operation_id for op in internal} == {
        "transfer_sold_nft",
        "publish_notification_event",
        "submit_price_tick",
        "submit_price_tick_batch",
        "publish_notification_event_batch",
    }
    assert all(op.callers for op in internal)


def test_internal_is_read_on_the_whole_path_base_included() -> None:
    found = operations(
        {
            "servers": [{"url": "/api"}],
            "paths": {"/internal/a": {"get": {}}, "/b": {"get": {}}},
        }
    )
    # /api/internal/a is routed by the edge like any /api path: not internal.
    assert [(op.template, op.internal) for op in found] == [
        ("/api/internal/a", False),
        ("/api/b", False),
    ]
    assert operations({"paths": {"/internal/a": {"post": {}}}})[0].internal
