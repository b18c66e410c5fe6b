"""Corrections to Connexion 3.3 behaviour that would otherwise break the contract.

Each fix is here because schemathesis found the problem on our specs; see the notes per fix.
"""

from __future__ import annotations

import functools
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from connexion.lifecycle import ConnexionResponse
from connexion.security import BearerSecurityHandler
from jsonschema import Draft4Validator
from starlette.responses import Response
from starlette.routing import compile_path

from services.common.contracts import HTTP_METHODS, most_specific_first
from services.common.quoting import quoted, quoted_path


def register_formats() -> None:
    """Connexion validates with Draft 4's format checker, which silently skips formats it has
    no checker for: a malformed id or URL would reach the handler. `uri` comes from
    rfc3986-validator; `uuid` is added here. Idempotent; jsonschema's checker is process-wide."""
    if "uri" not in Draft4Validator.FORMAT_CHECKER.checkers:
        raise RuntimeError("format 'uri' is not checked: install rfc3986-validator")
    if "uuid" in Draft4Validator.FORMAT_CHECKER.checkers:
        return

    @Draft4Validator.FORMAT_CHECKER.checks("uuid", raises=ValueError)
    def _is_uuid(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return str(uuid.UUID(value)) == value.lower()


class RuntimeBearerHandler(BearerSecurityHandler):
    """Bearer auth whose verifier is an object built at start-up (x-bearerInfoFunc only takes
    an import path). Relies on `_resolve_func` and `_accepts_kwarg`, so connexion is pinned in
    pyproject.toml."""

    def __init__(self, verify: Callable[..., Any]) -> None:
        self._verify = verify
        self._accepted: dict[tuple[Callable[..., Any], str], bool] = {}

    def _resolve_func(self, security_scheme: Any) -> Callable[..., Any]:
        return self._verify

    def _accepts_kwarg(self, func: Callable[..., Any], keyword: str) -> bool:  # type: ignore[override]
        # Connexion asks twice per request, reading the verifier's signature each time; the
        # answer is the verifier's, fixed at start-up (two keywords, one verifier).
        key = (func, keyword)
        if key not in self._accepted:
            self._accepted[key] = BearerSecurityHandler._accepts_kwarg(func, keyword)
        return self._accepted[key]


def bearer_security_map(verify: Callable[..., Any]) -> dict[str, Any]:
    return {"bearer": functools.partial(RuntimeBearerHandler, verify)}


def json_response(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Give handler results an explicit JSON content type.

    An operation that declares both application/json and application/problem+json answers a
    bare dict with a 500 under response validation (connexion issue 1956)."""
    if not inspect.iscoroutinefunction(handler):
        raise TypeError(f"{handler!r} must be async")

    @functools.wraps(handler)  # connexion reads the wrapped signature to inject arguments
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = await handler(*args, **kwargs)
        if isinstance(result, ConnexionResponse | Response):
            return result
        body, status, headers = (
            (*result, None, None)[:3]
            if isinstance(result, tuple)
            else (
                result,
                None,
                None,
            )
        )
        if body is None:
            return Response(status_code=status or 204, headers=dict(headers or {}))
        return body, status or 200, {"Content-Type": "application/json", **(headers or {})}

    return wrapper


class MethodNotAllowedMiddleware:
    """Answer 405 with the contract's `Allow` for a method the matched resource lacks.

    Connexion registers one route per (path, method): a 405 lists only the methods of the
    first matching route, and GET /api/users/login falls through to GET /api/users/{userId}
    (a 400) although /api/users/login is its own resource. The most specific matching path
    decides, as it does for routing."""

    def __init__(self, app: Any, *, paths: dict[str, Any]) -> None:
        self.app = app
        self.routes = []
        for template, item in most_specific_first(paths).items():
            methods = {method.upper() for method in item if method in HTTP_METHODS}
            if "GET" in methods:
                methods.add("HEAD")
            regex, _, _ = compile_path(template)
            self.routes.append((regex, methods))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for regex, methods in self.routes:
                if regex.match(scope["path"]):
                    if scope["method"] not in methods:
                        await self._method_not_allowed(scope, methods, send)
                        return
                    break
        await self.app(scope, receive, send)

    @staticmethod
    async def _method_not_allowed(scope: Any, methods: set[str], send: Any) -> None:
        detail = f"{quoted(scope['method'])} is not allowed on {quoted_path(scope['path'])}"
        allow = ", ".join(sorted(methods)).encode()
        await send_problem(send, 405, "Method Not Allowed", detail, [(b"allow", allow)])


async def send_problem(
    send: Any, status: int, title: str, detail: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Answer an RFC 7807 problem straight from ASGI middleware."""
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
