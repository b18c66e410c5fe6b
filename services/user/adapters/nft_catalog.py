"""NftCatalog over the nft service's REST API, through the client generated from its contract."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any
from uuid import UUID

import httpx

from generated.rest.nft_client import Client
from generated.rest.nft_client.api.nfts import list_user_nfts
from generated.rest.nft_client.models import Nft
from services.common.addresses import http_target
from services.user.domain.errors import (
    NftServiceBadResponse,
    NftServiceTimeout,
    NftServiceUnavailable,
)

# The caller's token, forwarded on this task's calls only: the pooled client is shared.
_forwarded_bearer: ContextVar[str | None] = ContextVar("forwarded_bearer", default=None)


async def _add_forwarded_bearer(request: httpx.Request) -> None:
    token = _forwarded_bearer.get()
    if token:
        request.headers["Authorization"] = f"Bearer {token}"


async def _raise_unavailable(response: httpx.Response) -> None:
    # Before the generated client parses the body: nft's contract declares its 503 and 504 as
    # problem+json, but an Envoy on the way that cannot get an answer says so in plain text,
    # and that means the same.
    if response.status_code == 503:
        raise NftServiceUnavailable()
    if response.status_code == 504:
        raise NftServiceTimeout()


class RestNftCatalog:
    """`exposed_fields`: the NFT fields the user service's own contract shows; nft may answer
    with more (it grows), and they must not leak through an API that does not declare them."""

    def __init__(
        self, address: str, timeout_seconds: float, exposed_fields: frozenset[str] | None = None
    ) -> None:
        self._exposed = exposed_fields
        nft = http_target(address)
        self._client = Client(
            base_url=nft.url,
            timeout=httpx.Timeout(timeout_seconds),
            raise_on_unexpected_status=False,
            httpx_args={
                **nft.httpx_args(),
                "event_hooks": {
                    "request": [_add_forwarded_bearer],
                    "response": [_raise_unavailable],
                },
            },
        )

    async def list_owned(
        self, owner_id: UUID, *, limit: int, offset: int, bearer_token: str | None = None
    ) -> list[dict[str, Any]]:
        forwarded = _forwarded_bearer.set(bearer_token)
        try:
            response = await list_user_nfts.asyncio_detailed(
                owner_id, client=self._client, limit=limit, offset=offset
            )
        except httpx.TimeoutException as error:
            raise NftServiceTimeout() from error
        except httpx.TransportError as error:
            raise NftServiceUnavailable() from error
        except (KeyError, ValueError, TypeError) as error:  # a body outside the contract
            raise NftServiceBadResponse(200) from error
        finally:
            _forwarded_bearer.reset(forwarded)
        if response.status_code != 200 or not isinstance(response.parsed, list):
            raise NftServiceBadResponse(response.status_code)
        return [self._exposed_part(_checked(nft).to_dict()) for nft in response.parsed]

    def _exposed_part(self, nft: dict[str, Any]) -> dict[str, Any]:
        if self._exposed is None:
            return nft
        return {name: value for name, value in nft.items() if name in self._exposed}

    async def aclose(self) -> None:
        await self._client.get_async_httpx_client().aclose()


def _checked(nft: Any) -> Nft:
    if not isinstance(nft, Nft):
        raise NftServiceBadResponse(200)
    return nft
