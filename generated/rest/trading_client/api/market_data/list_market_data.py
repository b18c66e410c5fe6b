from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.market_data_tick import MarketDataTick
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    asset_symbol: str,
    *,
    limit: int | Unset = 100,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/trading/market-data/{asset_symbol}".format(
            asset_symbol=quote(str(asset_symbol), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | list[MarketDataTick] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = MarketDataTick.from_dict(response_200_item_data)

            response_200.append(response_200_item)

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

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
) -> Response[Problem | list[MarketDataTick]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 100,
) -> Response[Problem | list[MarketDataTick]]:
    """Recent ticks of one asset, newest first

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[MarketDataTick]]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 100,
) -> Problem | list[MarketDataTick] | None:
    """Recent ticks of one asset, newest first

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[MarketDataTick]
    """

    return sync_detailed(
        asset_symbol=asset_symbol,
        client=client,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 100,
) -> Response[Problem | list[MarketDataTick]]:
    """Recent ticks of one asset, newest first

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[MarketDataTick]]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 100,
) -> Problem | list[MarketDataTick] | None:
    """Recent ticks of one asset, newest first

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        limit (int | Unset):  Default: 100.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[MarketDataTick]
    """

    return (
        await asyncio_detailed(
            asset_symbol=asset_symbol,
            client=client,
            limit=limit,
        )
    ).parsed
