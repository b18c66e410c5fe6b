from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.market_data_tick_batch_accepted import MarketDataTickBatchAccepted
from ...models.market_data_tick_batch_input import MarketDataTickBatchInput
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: MarketDataTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/trading/market-data/batches",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> MarketDataTickBatchAccepted | Problem | None:
    if response.status_code == 201:
        response_201 = MarketDataTickBatchAccepted.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[MarketDataTickBatchAccepted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: MarketDataTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[MarketDataTickBatchAccepted | Problem]:
    """Accept up to 1,000 market data ticks at once and queue them for analytics and notification

     For feeds: the ticks and their outbox messages are written with bulk inserts in one
    transaction, all or none (one invalid tick refuses the whole batch). With an
    Idempotency-Key a retried batch is stored once.

    Args:
        idempotency_key (str | Unset):
        body (MarketDataTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MarketDataTickBatchAccepted | Problem]
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
    client: AuthenticatedClient,
    body: MarketDataTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> MarketDataTickBatchAccepted | Problem | None:
    """Accept up to 1,000 market data ticks at once and queue them for analytics and notification

     For feeds: the ticks and their outbox messages are written with bulk inserts in one
    transaction, all or none (one invalid tick refuses the whole batch). With an
    Idempotency-Key a retried batch is stored once.

    Args:
        idempotency_key (str | Unset):
        body (MarketDataTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MarketDataTickBatchAccepted | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: MarketDataTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[MarketDataTickBatchAccepted | Problem]:
    """Accept up to 1,000 market data ticks at once and queue them for analytics and notification

     For feeds: the ticks and their outbox messages are written with bulk inserts in one
    transaction, all or none (one invalid tick refuses the whole batch). With an
    Idempotency-Key a retried batch is stored once.

    Args:
        idempotency_key (str | Unset):
        body (MarketDataTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[MarketDataTickBatchAccepted | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: MarketDataTickBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> MarketDataTickBatchAccepted | Problem | None:
    """Accept up to 1,000 market data ticks at once and queue them for analytics and notification

     For feeds: the ticks and their outbox messages are written with bulk inserts in one
    transaction, all or none (one invalid tick refuses the whole batch). With an
    Idempotency-Key a retried batch is stored once.

    Args:
        idempotency_key (str | Unset):
        body (MarketDataTickBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        MarketDataTickBatchAccepted | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
