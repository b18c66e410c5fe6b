"""The REST operations of a service as its OpenAPI contract declares them: method, path
template, and whether a caller needs a token (the edge's JWT rules are generated from this)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PARAMETER = re.compile(r"\{[^/{}]+\}")
# One path segment, as the services' router (Starlette) matches a `{param}`.
SEGMENT_REGEX = "[^/]+"
RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


# libyaml's safe loader when PyYAML has it (10x faster than the pure-Python one: every app
# and Envoy config parses contracts at start-up); the same documents either way.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Operation:
    method: str  # upper case: GET, POST …
    template: str  # the full path template, e.g. /api/nfts/{nftId}
    public: bool  # callable without a token

    @property
    def regex(self) -> str:
        return path_regex(self.template)


def operations(contract: Mapping[str, Any]) -> list[Operation]:
    """Every operation of a parsed contract, in contract order. Public: its effective `security`
    (its own, else the top-level one) is empty or allows anonymous callers (`{}`)."""
    default_security = contract.get("security", [])
    base = _base_path(contract)
    found = []
    for template, item in (contract.get("paths") or {}).items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue  # path-level `parameters`, `summary` …
            security = operation.get("security", default_security)
            public = not security or any(requirement == {} for requirement in security)
            found.append(Operation(method.upper(), base + template, public))
    return found


def load_operations(service: str, contracts: Path = CONTRACTS) -> tuple[Operation, ...]:
    """The operations of contracts/openapi/<service>.yaml."""
    contract = yaml.load((contracts / f"{service}.yaml").read_text(), Loader=YAML_LOADER)
    return tuple(operations(contract))


def path_regex(template: str) -> str:
    """An anchored RE2 regex matching the paths of an OpenAPI template: each `{param}` is one
    non-empty segment, everything else literal."""
    literals = PARAMETER.split(template)
    return "^" + SEGMENT_REGEX.join(_literal(text) for text in literals) + "$"


def specificity(template: str) -> tuple[tuple[bool, str], ...]:
    """Sort key putting the template a router picks first first: segment by segment, a literal
    before a parameter (`/users/me` before `/users/{id}`), as OpenAPI says and the services do."""
    return tuple((bool(PARAMETER.search(s)), s) for s in template.strip("/").split("/"))


def overlaps(first: str, second: str) -> bool:
    """Whether some path matches both templates."""
    a, b = first.strip("/").split("/"), second.strip("/").split("/")
    return len(a) == len(b) and all(
        x == y or PARAMETER.search(x) or PARAMETER.search(y) for x, y in zip(a, b, strict=True)
    )


def _literal(text: str) -> str:
    return "".join("\\" + c if c in RE2_SPECIAL else c for c in text)


def _base_path(contract: Mapping[str, Any]) -> str:
    """The path of the first server URL ("/" or none: the paths are absolute already)."""
    servers = contract.get("servers") or [{"url": "/"}]
    return urlsplit(servers[0].get("url", "/")).path.rstrip("/")
