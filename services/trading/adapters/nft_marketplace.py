"""NftMarketplace over the nft service's REST API (the client generated from its contract),
through this instance's sidecar egress (NFT_ADDR: host:port or its Unix socket).

Sale approvals carry the seller's token (nft checks ownership itself); nft's refusals become
NftForbidden / NftNotFound / NftConflict, and no usable answer becomes NftServiceUnavailable
(503: nothing changed, retry). The transfer of a sold NFT is internal (no token) and keyed by
the purchase; its outcome is a value: transferred, refused for good, or unknown."""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any, TypeVar
from uuid import UUID

import httpx

from generated.rest.nft_client import Client
from generated.rest.nft_client.api.internal import transfer_sold_nft
from generated.rest.nft_client.api.marketplace import approve_sale, withdraw_sale_approval
from generated.rest.nft_client.models import (
    MarketplaceTransferInput,
    Nft,
    Problem,
    SaleApprovalInput,
)
from generated.rest.nft_client.types import UNSET, Response
from services.common.addresses import http_target
from services.trading.domain.errors import (
    NftConflict,
    NftForbidden,
    NftNotFound,
    NftRefused,
    NftServiceUnavailable,
)
from services.trading.service_layer.ports import (
    TransferOutcome,
    Transferred,
    TransferRefused,
    TransferRequest,
    TransferUnknown,
)

T = TypeVar("T")
REFUSALS: dict[int, type[NftRefused]] = {403: NftForbidden, 404: NftNotFound, 409: NftConflict}
# 4xx answers that judge the moment, not the transfer: asking again later may succeed.
TRANSIENT_4XX = frozenset({408, 422, 425, 429})

# The caller's token, on this task's calls only: the pooled client is shared.
_forwarded_bearer: ContextVar[str | None] = ContextVar("trading_forwarded_bearer", default=None)


async def _add_forwarded_bearer(request: httpx.Request) -> None:
    token = _forwarded_bearer.get()
    if token:
        request.headers["Authorization"] = f"Bearer {token}"


def _detail(response: Response[Any], default: str) -> str:
    parsed = response.parsed
    if isinstance(parsed, Problem) and isinstance(parsed.detail, str) and parsed.detail:
        return parsed.detail
    return default


class RestNftMarketplace:
    def __init__(
        self,
        address: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,  # tests: an nft stand-in
    ) -> None:
        nft = http_target(address)
        httpx_args: dict[str, Any] = {
            **nft.httpx_args(),
            "event_hooks": {"request": [_add_forwarded_bearer]},
        }
        if transport is not None:
            httpx_args["transport"] = transport
        self._client = Client(
            base_url=nft.url,
            timeout=httpx.Timeout(timeout_seconds),
            raise_on_unexpected_status=False,
            httpx_args=httpx_args,
        )

    async def approve_sale(self, nft_id: UUID, listing_id: UUID, *, bearer: str | None) -> None:
        body = SaleApprovalInput(listing_id=listing_id)
        call = approve_sale.asyncio_detailed(nft_id, client=self._client, body=body)  # type: ignore[arg-type]
        self._expect_nft(await self._answer(call, bearer))

    async def withdraw_approval(
        self, nft_id: UUID, listing_id: UUID, *, bearer: str | None
    ) -> None:
        call = withdraw_sale_approval.asyncio_detailed(
            nft_id,
            client=self._client,  # type: ignore[arg-type]
            listing_id=listing_id,
        )
        self._expect_nft(await self._answer(call, bearer))

    async def transfer_sold(self, request: TransferRequest, *, key: str) -> TransferOutcome:
        body = MarketplaceTransferInput(
            listing_id=request.listing_id,
            nft_id=request.nft_id,
            seller_id=request.seller_id,
            buyer_id=request.buyer_id,
        )
        try:
            response = await transfer_sold_nft.asyncio_detailed(
                client=self._client, body=body, idempotency_key=key
            )
        except httpx.TimeoutException:
            return TransferUnknown("nft did not answer in time")
        except httpx.TransportError as error:
            return TransferUnknown(f"nft unreachable: {type(error).__name__}")
        except (KeyError, ValueError, TypeError):  # an answer outside nft's contract
            return TransferUnknown("nft answered outside its contract")
        status = int(response.status_code)
        if status == 200 and isinstance(response.parsed, Nft):
            tx_hash = response.parsed.last_tx_hash
            return Transferred(None if tx_hash is UNSET else str(tx_hash))
        if 400 <= status < 500 and status not in TRANSIENT_4XX:
            return TransferRefused(status, _detail(response, f"nft answered {status}"))
        return TransferUnknown(f"nft answered {status}")

    async def _answer(self, call: Awaitable[Response[T]], bearer: str | None) -> Response[T]:
        forwarded = _forwarded_bearer.set(bearer)
        try:
            return await call
        except httpx.TimeoutException as error:
            raise NftServiceUnavailable("no answer in time") from error
        except httpx.TransportError as error:
            raise NftServiceUnavailable(type(error).__name__) from error
        except (KeyError, ValueError, TypeError) as error:
            raise NftServiceUnavailable("an answer outside its contract") from error
        finally:
            _forwarded_bearer.reset(forwarded)

    @staticmethod
    def _expect_nft(response: Response[Any]) -> None:
        status = int(response.status_code)
        if status == 200 and isinstance(response.parsed, Nft):
            return
        if status in REFUSALS:
            raise REFUSALS[status](_detail(response, f"nft answered {status}"))
        raise NftServiceUnavailable(f"nft answered {status}")

    async def aclose(self) -> None:
        await self._client.get_async_httpx_client().aclose()
