"""Builds a service's REST app straight from its OpenAPI contract (the spec is the router)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.requests import Request
from starlette.responses import JSONResponse

from services.common.access import (
    Forbidden,
    callers_by_operation,
    require_callers,
    require_roles,
    roles_by_operation,
)
from services.common.connexion_hot_path import connexion_app
from services.common.contracts import load_contract
from services.common.database import (
    DatabaseSpec,
    database_unavailable,
    readiness,
    serving_database,
)
from services.common.idempotency import Idempotency, IdempotencyKeyReused, operations_with_key
from services.common.idempotency_stores import DatabaseIdempotencyStore, InMemoryIdempotencyStore
from services.common.maintenance import MaintenanceSwitch
from services.common.metrics import METRICS_PATH, AppMetrics, RequestMetrics, metrics_endpoint
from services.common.problems import (
    ErrorMap,
    contract_problem,
    database_outage,
    problem_for,
    unexpected_error,
)
from services.common.public_contract import PublicContractMiddleware
from services.common.request_target import RequestTargetMiddleware
from services.common.request_validators import VALIDATOR_MAP
from services.common.rest_fixes import (
    MethodNotAllowedMiddleware,
    bearer_security_map,
    json_response,
    register_formats,
)
from services.common.settings import ServiceSettings


@dataclass(frozen=True)
class RestAppSpec:
    """Everything that differs between services' REST apps."""

    service: str  # contract name: contracts/openapi/<service>.yaml
    api_prefix: str  # e.g. /api/nfts: Swagger UI at <prefix>/ui, spec at <prefix>/openapi.json
    handlers: object  # has one async method per operationId
    database: DatabaseSpec | None  # None when the handlers run on fakes
    # What the app reads of the service's settings, all of it from here: validate_responses,
    # authenticate_callers (internal operations check the caller the sidecar verified) and
    # idempotency_ttl_seconds.
    settings: ServiceSettings
    # More to open once the database is up and to close before it goes (clients, servers).
    resources: Callable[[], AbstractAsyncContextManager[None]] = nullcontext
    error_statuses: ErrorMap = field(default_factory=dict)
    verify_token: Callable[[str], Any] | None = None
    # Its RED metrics (served at /metrics); a service with a gRPC server counts its calls
    # into the same (analytics); None: the app makes its own.
    metrics: AppMetrics | None = None


def build_rest_app(spec: RestAppSpec) -> AsyncApp:
    register_formats()
    contract = load_contract(spec.service)
    security = bearer_security_map(spec.verify_token) if spec.verify_token else None
    role_rules = roles_by_operation(contract)
    caller_rules = callers_by_operation(contract) if spec.settings.authenticate_callers else {}
    keyed = operations_with_key(contract)
    # Only a contract with keyed operations gets a store: a read-only API (analytics) keeps no
    # idempotency table.
    metrics = spec.metrics or AppMetrics(spec.service)
    idempotency = _idempotency(spec, metrics) if keyed else None
    maintenance = MaintenanceSwitch()

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        # Migrations run before the app serves; uvicorn accepts nothing until this yields.
        async with serving_database(spec.database), spec.resources(), maintenance.listening():
            yield

    # Connexion's AsyncApp with its per-request fixed work done once per operation, here.
    app = connexion_app(
        f"capsure.{spec.service}",
        lifespan=lifespan,
        security_map=security,
        validator_map=VALIDATOR_MAP,
    )
    app.add_api(
        contract,
        resolver=Resolver(
            function_resolver=lambda operation_id: _handler(
                getattr(spec.handlers, operation_id),
                role_rules.get(operation_id),
                caller_rules.get(operation_id),
                idempotency.wrap(operation_id, getattr(spec.handlers, operation_id))
                if idempotency is not None and operation_id in keyed
                else None,
            )
        ),
        strict_validation=True,
        validate_responses=spec.settings.validate_responses,
        swagger_ui_options=SwaggerUIOptions(
            # Connexion would serve the whole contract: PublicContractMiddleware serves the rest.
            serve_spec=False,
            spec_path=f"{spec.api_prefix}/openapi.json",
            swagger_ui_path=f"{spec.api_prefix}/ui",
        ),
    )
    app.add_url_rule(
        "/healthz",
        "healthz",
        _health_endpoint(spec.service, maintenance.gate(readiness(spec.database))),
        methods=["GET"],
    )
    # Liveness, for the launcher's supervisor: the event loop answers, nothing else is asked
    # (/healthz asks the database, which may be busy behind a sibling's write lock). Its
    # sidecar's RBAC admits no caller to it: only the supervisor, on the app's own socket.
    app.add_url_rule("/livez", "livez", _alive, methods=["GET"])
    if spec.settings.metrics_enabled:
        # No sidecar RBAC policy names it: no mesh caller reaches it (services/common/metrics.py).
        app.add_url_rule(METRICS_PATH, "metrics", metrics_endpoint(metrics), methods=["GET"])
    app.metrics = metrics
    # What SIGUSR1/SIGUSR2 flip, reachable without a signal: an in-process test may run off
    # the main thread, where the switch installs no handler and SIGUSR1 would kill it.
    app.maintenance = maintenance
    # How keyed answers are replayed (its store and TTL, from the settings); None when the
    # contract has no keyed operation.
    app.idempotency = idempotency
    app.add_error_handler(ProblemException, contract_problem)
    common_errors = {Forbidden: 403, IdempotencyKeyReused: 422}
    for error_type, status in {**common_errors, **spec.error_statuses}.items():
        app.add_error_handler(error_type, problem_for(status))
    app.add_error_handler(Exception, _unexpected_error_or_outage)
    # Middlewares at one position run in the order added: every request is counted, and the
    # request target is checked before anything routes it (405s, redirects).
    if spec.settings.metrics_enabled:
        app.add_middleware(
            RequestMetrics, position=MiddlewarePosition.BEFORE_EXCEPTION, metrics=metrics
        )
    app.add_middleware(
        RequestTargetMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        slash_paths=[f"{spec.api_prefix}/ui/"],
    )
    app.add_middleware(
        MethodNotAllowedMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        paths=contract["paths"],
    )
    app.add_middleware(
        PublicContractMiddleware,
        position=MiddlewarePosition.BEFORE_SWAGGER,
        path=f"{spec.api_prefix}/openapi.json",
        contract=contract,
    )
    return app


def _idempotency(spec: RestAppSpec, metrics: AppMetrics) -> Idempotency:
    """The service's own table when it has a database (its models module's IdempotencyRecord),
    else memory; answers kept for the settings' idempotency_ttl_seconds."""
    database = spec.database
    return Idempotency(
        store=DatabaseIdempotencyStore.of_service(database.name, database.models_module)
        if database
        else InMemoryIdempotencyStore(),
        ttl=timedelta(seconds=spec.settings.idempotency_ttl_seconds),
        clock=lambda: datetime.now(UTC),
        on_replay=metrics.count_replay,
    )


def _unexpected_error_or_outage(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """The last resort handler: a database outage is a 503 (retry), anything else a 500."""
    if database_unavailable(error):
        return database_outage(request, error)
    return unexpected_error(request, error)


def _handler(
    handler: Callable[..., Awaitable[Any]],
    allowed_roles: frozenset[str] | None,
    allowed_callers: frozenset[str] | None,
    idempotent: Callable[..., Awaitable[Any]] | None,
) -> Callable[..., Awaitable[Any]]:
    """The handler as Connexion calls it: the calling service and roles checked first, then the
    Idempotency-Key replay (a refused caller claims no key), then the contract's JSON answer."""
    inner = idempotent or handler
    if allowed_roles is not None:
        inner = require_roles(inner, allowed_roles)
    if allowed_callers is not None:
        inner = require_callers(inner, allowed_callers)
    return json_response(inner)


async def _alive(request: Request) -> JSONResponse:
    return JSONResponse({"status": "alive"})


def _health_endpoint(
    service: str, ready: Callable[[], Awaitable[bool]]
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def healthz(request: Request) -> JSONResponse:
        if await ready():
            return JSONResponse({"status": "ok", "service": service})
        return JSONResponse(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": f"{service} is not ready: its database does not answer, "
                "or it is in maintenance mode",
            },
            status_code=503,
            media_type="application/problem+json",
        )

    return healthz
