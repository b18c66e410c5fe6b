from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.price_tick_batch_input import PriceTickBatchInput
from ...models.price_tick_batch_result import PriceTickBatchResult
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PriceTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/internal/price-ticks/batches",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PriceTickBatchResult | Problem | None:
    if response.status_code == 200:
        response_200 = PriceTickBatchResult.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[PriceTickBatchResult | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[PriceTickBatchResult | Problem]:
    """Apply up to 1,000 price ticks in order, as if sent one by one (internal; services only)

     For a feed's rate: each tick gets the outcome it would have had sent on its own after
    the ticks before it, and its result sits at its position in `results`. One asset's
    ticks are applied together in one transaction; assets are independent, so after a 503
    some assets may be applied, and sending the batch again is safe (their ticks come back
    `duplicate` or `stale`). A tick that is well-formed but cannot be taken now (stamped
    too far in the future, or a symbol or price outside the tick rules) is `refused` with
    its problems, and the others are applied; a body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PriceTickBatchResult | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> PriceTickBatchResult | Problem | None:
    """Apply up to 1,000 price ticks in order, as if sent one by one (internal; services only)

     For a feed's rate: each tick gets the outcome it would have had sent on its own after
    the ticks before it, and its result sits at its position in `results`. One asset's
    ticks are applied together in one transaction; assets are independent, so after a 503
    some assets may be applied, and sending the batch again is safe (their ticks come back
    `duplicate` or `stale`). A tick that is well-formed but cannot be taken now (stamped
    too far in the future, or a symbol or price outside the tick rules) is `refused` with
    its problems, and the others are applied; a body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PriceTickBatchResult | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[PriceTickBatchResult | Problem]:
    """Apply up to 1,000 price ticks in order, as if sent one by one (internal; services only)

     For a feed's rate: each tick gets the outcome it would have had sent on its own after
    the ticks before it, and its result sits at its position in `results`. One asset's
    ticks are applied together in one transaction; assets are independent, so after a 503
    some assets may be applied, and sending the batch again is safe (their ticks come back
    `duplicate` or `stale`). A tick that is well-formed but cannot be taken now (stamped
    too far in the future, or a symbol or price outside the tick rules) is `refused` with
    its problems, and the others are applied; a body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PriceTickBatchResult | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> PriceTickBatchResult | Problem | None:
    """Apply up to 1,000 price ticks in order, as if sent one by one (internal; services only)

     For a feed's rate: each tick gets the outcome it would have had sent on its own after
    the ticks before it, and its result sits at its position in `results`. One asset's
    ticks are applied together in one transaction; assets are independent, so after a 503
    some assets may be applied, and sending the batch again is safe (their ticks come back
    `duplicate` or `stale`). A tick that is well-formed but cannot be taken now (stamped
    too far in the future, or a symbol or price outside the tick rules) is `refused` with
    its problems, and the others are applied; a body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PriceTickBatchResult | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
