"""What a service passes on when it asks a peer on its caller's behalf."""

from __future__ import annotations

from connexion import request


def callers_bearer_token() -> str | None:
    """The current request's bearer token, as sent (already verified by the security handler
    when the operation is protected): forwarded so the peer decides with the caller's rights."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else None
