"""UserDirectory over the user service's REST API (`GET /api/users/{userId}`), through the client
generated from its contract, with the caller's own token: that operation takes one, and the
user service then answers as it would answer the caller.

200 is a user and 404 is none. Every other outcome (no connection, a timeout, 5xx from the
user service or from the mesh in between, an answer outside the contract) says nothing about
the user: UserServiceUnavailable, which the transfer answers with 503 so the client retries."""

from __future__ import annotations

from contextvars import ContextVar
from uuid import UUID

import httpx

from generated.rest.user_client import Client
from generated.rest.user_client.api.users import get_user
from generated.rest.user_client.models import Problem, PublicUser
from services.common.addresses import http_target
from services.nft.domain.errors import UserServiceUnavailable

# The caller's token, forwarded on this task's calls only: the pooled client is shared.
_forwarded_bearer: ContextVar[str | None] = ContextVar("nft_forwarded_bearer", default=None)


async def _add_forwarded_bearer(request: httpx.Request) -> None:
    token = _forwarded_bearer.get()
    if token:
        request.headers["Authorization"] = f"Bearer {token}"


class RestUserDirectory:
    def __init__(self, address: str, timeout_seconds: float) -> None:
        # A plain client where the generated code asks for an AuthenticatedClient: that one fixes
        # one token for its whole pool, and every call here carries its own caller's (the hook).
        user = http_target(address)
        self._client = Client(
            base_url=user.url,
            timeout=httpx.Timeout(timeout_seconds),
            raise_on_unexpected_status=False,
            httpx_args={**user.httpx_args(), "event_hooks": {"request": [_add_forwarded_bearer]}},
        )

    async def exists(self, user_id: UUID, *, bearer_token: str | None) -> bool:
        forwarded = _forwarded_bearer.set(bearer_token)
        try:
            response = await get_user.asyncio_detailed(user_id, client=self._client)
        except httpx.TimeoutException as error:
            raise UserServiceUnavailable("it did not answer in time") from error
        except httpx.TransportError as error:
            raise UserServiceUnavailable("it cannot be reached") from error
        except (KeyError, ValueError, TypeError) as error:  # a body outside the contract
            raise UserServiceUnavailable("it answered outside its contract") from error
        finally:
            _forwarded_bearer.reset(forwarded)
        # A 404 of the user contract is a problem+json; a mesh's own 404 (no route) is not.
        if response.status_code == 404 and isinstance(response.parsed, Problem):
            return False
        if response.status_code == 200 and isinstance(response.parsed, PublicUser):
            return True
        raise UserServiceUnavailable(f"it answered {int(response.status_code)}")

    async def aclose(self) -> None:
        await self._client.get_async_httpx_client().aclose()
