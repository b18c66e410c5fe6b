from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.latest_price import LatestPrice
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    asset_symbol: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/analytics/assets/{asset_symbol}/price".format(
            asset_symbol=quote(str(asset_symbol), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> LatestPrice | Problem | None:
    if response.status_code == 200:
        response_200 = LatestPrice.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[LatestPrice | Problem]:
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
) -> Response[LatestPrice | Problem]:
    """The latest price of an asset (the tick with the newest timestamp)

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LatestPrice | Problem]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
) -> LatestPrice | Problem | None:
    """The latest price of an asset (the tick with the newest timestamp)

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LatestPrice | Problem
    """

    return sync_detailed(
        asset_symbol=asset_symbol,
        client=client,
    ).parsed


async def asyncio_detailed(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[LatestPrice | Problem]:
    """The latest price of an asset (the tick with the newest timestamp)

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[LatestPrice | Problem]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
) -> LatestPrice | Problem | None:
    """The latest price of an asset (the tick with the newest timestamp)

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        LatestPrice | Problem
    """

    return (
        await asyncio_detailed(
            asset_symbol=asset_symbol,
            client=client,
        )
    ).parsed
