"""The REST contracts (contracts/openapi/<service>.yaml) as the services and the mesh both read
them: the operations each declares (method, full path template, whether a caller needs a token,
the roles and the calling services it allows, whether it honours an Idempotency-Key) and the
one rule for which of two templates matching a path is tried first — by Connexion's router and
by the edge's token rules alike. One reading, so the two cannot disagree.

The mesh may import this module; nothing here imports the mesh."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from services.common.headers import IDEMPOTENCY_KEY

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
# libyaml's safe loader when PyYAML has it (10x faster than the pure-Python one: every app
# and Envoy config parses contracts at start-up); the same documents either way.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Internal operations are for peers inside the mesh: the edge never routes them, the public
# contract leaves them out, and only their `x-callers` may call them.
INTERNAL_PREFIX = "/internal/"
ROLES = "x-roles"  # roles of which the caller's token must carry one
CALLERS = "x-callers"  # the services allowed to call an internal operation
IDEMPOTENCY = "x-idempotency-key"  # `by-operation`: the handler keeps its own record of keys
BY_OPERATION = "by-operation"

PARAMETER = re.compile(r"\{[^/{}]+\}")
# One path segment, as the services' router (Starlette) matches a `{param}`.
SEGMENT_REGEX = "[^/]+"
RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


class ContractError(ValueError):
    """A contract's extension is malformed (the services would enforce something else)."""


@dataclass(frozen=True)
class Operation:
    method: str  # upper case: GET, POST …
    template: str  # the full path template, server base path included: /api/nfts/{nftId}
    public: bool  # callable without a token
    operation_id: str | None = None
    roles: frozenset[str] | None = None  # x-roles; None: any authenticated caller
    idempotency_key: bool = False  # declares the Idempotency-Key header (itself or its path)
    keeps_own_keys: bool = False  # x-idempotency-key: by-operation (a saga records its keys)
    callers: tuple[str, ...] | None = None  # x-callers; None: not declared

    @property
    def regex(self) -> str:
        return path_regex(self.template)

    @property
    def internal(self) -> bool:
        return is_internal(self.template)


def is_internal(path: str) -> bool:
    """Whether a path (a template with the base path, or a request's) is an internal one."""
    return path.startswith(INTERNAL_PREFIX)


def load_contract(service: str, contracts: Path = CONTRACTS) -> dict[str, Any]:
    """contracts/openapi/<service>.yaml, its paths most specific first (Connexion adds routes
    in the spec's order: /users/{userId} listed first would shadow /users/me)."""
    contract = yaml.load((contracts / f"{service}.yaml").read_text(), Loader=YAML_LOADER)
    contract["paths"] = most_specific_first(contract.get("paths") or {})
    return contract


def load_operations(service: str, contracts: Path = CONTRACTS) -> tuple[Operation, ...]:
    """The operations of contracts/openapi/<service>.yaml, most specific path first."""
    return tuple(operations(load_contract(service, contracts)))


def operations(contract: Mapping[str, Any]) -> list[Operation]:
    """Every operation of a parsed contract, in its paths' order. Public: its effective
    `security` (its own, else the top-level one) is empty or allows anonymous callers (`{}`)."""
    default_security = contract.get("security", [])
    base = base_path(contract)
    shared_parameters = contract.get("components", {}).get("parameters", {})
    found = []
    for template, item in (contract.get("paths") or {}).items():
        keyed_path = _declares_key(item.get("parameters", []), shared_parameters)
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue  # path-level `parameters`, `summary` …
            security = operation.get("security", default_security)
            public = not security or any(requirement == {} for requirement in security)
            where = f"{method.upper()} {template}"
            found.append(
                Operation(
                    method=method.upper(),
                    template=base + template,
                    public=public,
                    operation_id=operation.get("operationId"),
                    roles=_roles(operation, public, where),
                    idempotency_key=keyed_path
                    or _declares_key(operation.get("parameters", []), shared_parameters),
                    keeps_own_keys=operation.get(IDEMPOTENCY) == BY_OPERATION,
                    callers=_callers(operation, where),
                )
            )
    return found


def path_regex(template: str) -> str:
    """An anchored RE2 regex matching the paths of an OpenAPI template: each `{param}` is one
    non-empty segment, everything else literal."""
    literals = PARAMETER.split(template)
    return "^" + SEGMENT_REGEX.join(_literal(text) for text in literals) + "$"


def specificity(template: str) -> tuple[tuple[bool, str], ...]:
    """Sort key putting the template a router must try first first: segment by segment, a
    literal before one with a parameter (`/users/me` before `/users/{id}`), as OpenAPI says."""
    return tuple((bool(PARAMETER.search(s)), s) for s in template.strip("/").split("/"))


def most_specific_first(paths: Mapping[str, Any]) -> dict[str, Any]:
    """A contract's `paths` in the order a router must try them."""
    return dict(sorted(paths.items(), key=lambda item: specificity(item[0])))


def overlaps(first: str, second: str) -> bool:
    """Whether some path matches both templates."""
    a, b = first.strip("/").split("/"), second.strip("/").split("/")
    return len(a) == len(b) and all(
        x == y or PARAMETER.search(x) or PARAMETER.search(y) for x, y in zip(a, b, strict=True)
    )


def _roles(operation: Mapping[str, Any], public: bool, where: str) -> frozenset[str] | None:
    if ROLES not in operation:
        return None
    roles = operation[ROLES]
    if public:
        # Roles come from a verified token; an operation open without one would skip them.
        raise ContractError(f"{where} has {ROLES} but no security")
    if not _names(roles) or not roles:
        raise ContractError(f"{where}: {ROLES} must be a non-empty list of role names")
    return frozenset(roles)


def _callers(operation: Mapping[str, Any], where: str) -> tuple[str, ...] | None:
    if CALLERS not in operation:
        return None
    callers = operation[CALLERS]
    if not _names(callers) or len(set(callers)) != len(callers):
        raise ContractError(f"{where}: {CALLERS} must be a list of distinct service names")
    return tuple(callers)


def _names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _declares_key(parameters: list[dict[str, Any]], shared: Mapping[str, Any]) -> bool:
    """Whether the parameters (inline or `$ref` to components) include the Idempotency-Key
    header."""
    for parameter in parameters:
        if "$ref" in parameter:
            parameter = shared.get(parameter["$ref"].rsplit("/", 1)[-1], {})
        if (
            parameter.get("in") == "header"
            and parameter.get("name", "").lower() == IDEMPOTENCY_KEY.lower()
        ):
            return True
    return False


def _literal(text: str) -> str:
    return "".join("\\" + c if c in RE2_SPECIAL else c for c in text)


def base_path(contract: Mapping[str, Any]) -> str:
    """The path of the first server URL ("/" or none: the paths are absolute already)."""
    servers = contract.get("servers") or [{"url": "/"}]
    return urlsplit(servers[0].get("url", "/")).path.rstrip("/")
