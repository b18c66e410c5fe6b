"""Real signed tokens for tests, made the way the user service makes them."""

from datetime import timedelta
from uuid import UUID

from services.common.auth import TokenIssuer
from services.common.settings import PLACEHOLDER_JWT_SECRET

ISSUER = "capsure-user"


def token_for(user_id: UUID, *, secret: str = PLACEHOLDER_JWT_SECRET, minutes: int = 15) -> str:
    issuer = TokenIssuer(secret=secret, issuer=ISSUER, ttl=timedelta(minutes=minutes))
    return issuer.issue(user_id, "tester").value


def bearer(user_id: UUID, **kwargs: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user_id, **kwargs)}"}
