"""Request targets no route of ours can mean, refused before any router sees them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes

from services.common.quoting import quoted_path
from services.common.rest_fixes import send_problem

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class RequestTargetMiddleware:
    """- Control characters in the path: 400. No identifier in our contracts contains one;
      Connexion would answer 404 for a route it cannot match, hiding the client's mistake.
    - A path or query that is not UTF-8 once percent-decoded (`%FF`, `%ED%A0%80`, a surrogate
      in CESU-8): 400. Starlette decodes it with U+FFFD substituted, and a route or parameter
      would then see a value the client never sent.
    - A path ending in `/` (but those in `slash_paths`: the Swagger UI's `<prefix>/ui/`): 404
      problem. Starlette's routers would answer 307 to the path without it, building Location
      from the client's `Host` header: a redirect to whatever host the client names, which a
      shared cache may hand to others. No contract path ends in `/`, so that spelling names no
      resource; a 404 keeps one spelling per resource (a relative Location would work too, but
      a 307 is in no contract and makes clients re-send bodies)."""

    def __init__(self, app: Any, *, slash_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.slash_paths = frozenset(slash_paths)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                status, title, detail = refusal
                await send_problem(send, status, title, detail)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Any) -> tuple[int, str, str] | None:
        path: str = scope["path"]
        if CONTROL_CHARACTERS.search(path):
            return 400, "Bad Request", "the path contains control characters"
        # ASGI's raw_path has no query, but some servers' (httpx's ASGI transport) has one.
        raw_path = scope.get("raw_path", b"").split(b"?", 1)[0]
        if not _utf8_when_decoded(raw_path):
            return 400, "Bad Request", "the path is not UTF-8 once percent-decoded"
        if not _utf8_when_decoded(scope.get("query_string", b"").replace(b"+", b" ")):
            return 400, "Bad Request", "the query is not UTF-8 once percent-decoded"
        if path.endswith("/") and path != "/" and path not in self.slash_paths:
            detail = f"no resource is at {quoted_path(path)}: paths do not end with '/'"
            return 404, "Not Found", detail
        return None


def _utf8_when_decoded(raw: bytes) -> bool:
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
