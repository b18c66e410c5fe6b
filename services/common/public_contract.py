"""The part of a contract a service publishes (`<api_prefix>/openapi.json`, the Swagger UI):
everything but its internal operations.

Internal operations (`/internal/…`) are for peers inside the mesh; the edge has no route to
them. Publishing them tells an outsider which calls the services trust each other with; they
stay in the contract the app routes and validates by (and that peers' clients and the fuzzer
read from contracts/openapi/)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from starlette.responses import Response

from services.common.contracts import HTTP_METHODS, base_path, is_internal, operations

__all__ = ["PublicContractMiddleware", "is_internal", "public_contract"]

_COMPONENT_REF = "#/components/"


class PublicContractMiddleware:
    """Serves the public contract at `path` (GET, HEAD). A middleware, not a route: the app's
    routes come after the API's, where `<prefix>/{id}` would take `<prefix>/openapi.json`."""

    def __init__(self, app: Any, *, path: str, contract: Mapping[str, Any]) -> None:
        self.app = app
        self.path = path
        self.body = json.dumps(public_contract(contract)).encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and scope["method"] in ("GET", "HEAD")
        ):
            await Response(self.body, media_type="application/json")(scope, receive, send)
            return
        await self.app(scope, receive, send)


def public_contract(contract: Mapping[str, Any]) -> dict[str, Any]:
    """`contract` without its internal paths, and without the components (schemas, responses,
    parameters, …) and tags that only they used. Security schemes are kept (they are named by
    `security`, not by $ref)."""
    public = {key: value for key, value in contract.items() if key != "components"}
    base = base_path(contract)
    internal = {op.template for op in operations(contract) if op.internal}
    paths = contract["paths"]
    public["paths"] = {path: item for path, item in paths.items() if base + path not in internal}
    components = contract.get("components", {})
    used = _used_components(public, components)
    kept = {
        kind: {name: item for name, item in entries.items() if (kind, name) in used}
        for kind, entries in components.items()
        if kind != "securitySchemes"
    }
    if "securitySchemes" in components:
        kept["securitySchemes"] = components["securitySchemes"]
    public["components"] = {kind: entries for kind, entries in kept.items() if entries}
    if "tags" in contract:
        used_tags = {tag for op in _operations(public["paths"]) for tag in op.get("tags", ())}
        public["tags"] = [tag for tag in contract["tags"] if tag["name"] in used_tags]
    return public


def _used_components(
    document: Mapping[str, Any], components: Mapping[str, Any]
) -> set[tuple[str, str]]:
    """(kind, name) of every component `document` refers to, directly or through others."""
    used: set[tuple[str, str]] = set()
    pending = list(_refs(document))
    while pending:
        kind, name = pending.pop()
        if (kind, name) in used:
            continue
        used.add((kind, name))
        pending.extend(_refs(components.get(kind, {}).get(name, {})))
    return used


def _refs(node: Any) -> Iterator[tuple[str, str]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(_COMPONENT_REF):
                kind, _, name = ref.removeprefix(_COMPONENT_REF).partition("/")
                yield kind, name
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _operations(paths: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for item in paths.values():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                yield item[method]
