import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.candle import Candle
from ...models.candle_interval import CandleInterval
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    asset_symbol: str,
    *,
    interval: CandleInterval,
    limit: int | Unset = 100,
    before: datetime.datetime | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_interval = interval.value
    params["interval"] = json_interval

    params["limit"] = limit

    json_before: str | Unset = UNSET
    if not isinstance(before, Unset):
        json_before = before.isoformat()
    params["before"] = json_before

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/analytics/assets/{asset_symbol}/candles".format(
            asset_symbol=quote(str(asset_symbol), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | list[Candle] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Candle.from_dict(response_200_item_data)

            response_200.append(response_200_item)

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
) -> Response[Problem | list[Candle]]:
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
    interval: CandleInterval,
    limit: int | Unset = 100,
    before: datetime.datetime | Unset = UNSET,
) -> Response[Problem | list[Candle]]:
    """OHLC candles of an asset, newest first

     Ticks are bucketed by their own timestamps into intervals aligned to the Unix epoch,
    so to UTC minutes and hours (a 5m candle starts at :00, :05, …). Open and close are
    the prices of the bucket's earliest and latest ticks by timestamp (on equal
    timestamps, the one received first opens and the one received last closes), not by
    arrival. Intervals without ticks have no candle. To page back, pass the `start` of
    the oldest candle received as `before`.

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        interval (CandleInterval):
        limit (int | Unset):  Default: 100.
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Candle]]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
        interval=interval,
        limit=limit,
        before=before,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    interval: CandleInterval,
    limit: int | Unset = 100,
    before: datetime.datetime | Unset = UNSET,
) -> Problem | list[Candle] | None:
    """OHLC candles of an asset, newest first

     Ticks are bucketed by their own timestamps into intervals aligned to the Unix epoch,
    so to UTC minutes and hours (a 5m candle starts at :00, :05, …). Open and close are
    the prices of the bucket's earliest and latest ticks by timestamp (on equal
    timestamps, the one received first opens and the one received last closes), not by
    arrival. Intervals without ticks have no candle. To page back, pass the `start` of
    the oldest candle received as `before`.

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        interval (CandleInterval):
        limit (int | Unset):  Default: 100.
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Candle]
    """

    return sync_detailed(
        asset_symbol=asset_symbol,
        client=client,
        interval=interval,
        limit=limit,
        before=before,
    ).parsed


async def asyncio_detailed(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    interval: CandleInterval,
    limit: int | Unset = 100,
    before: datetime.datetime | Unset = UNSET,
) -> Response[Problem | list[Candle]]:
    """OHLC candles of an asset, newest first

     Ticks are bucketed by their own timestamps into intervals aligned to the Unix epoch,
    so to UTC minutes and hours (a 5m candle starts at :00, :05, …). Open and close are
    the prices of the bucket's earliest and latest ticks by timestamp (on equal
    timestamps, the one received first opens and the one received last closes), not by
    arrival. Intervals without ticks have no candle. To page back, pass the `start` of
    the oldest candle received as `before`.

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        interval (CandleInterval):
        limit (int | Unset):  Default: 100.
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Candle]]
    """

    kwargs = _get_kwargs(
        asset_symbol=asset_symbol,
        interval=interval,
        limit=limit,
        before=before,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    asset_symbol: str,
    *,
    client: AuthenticatedClient | Client,
    interval: CandleInterval,
    limit: int | Unset = 100,
    before: datetime.datetime | Unset = UNSET,
) -> Problem | list[Candle] | None:
    """OHLC candles of an asset, newest first

     Ticks are bucketed by their own timestamps into intervals aligned to the Unix epoch,
    so to UTC minutes and hours (a 5m candle starts at :00, :05, …). Open and close are
    the prices of the bucket's earliest and latest ticks by timestamp (on equal
    timestamps, the one received first opens and the one received last closes), not by
    arrival. Intervals without ticks have no candle. To page back, pass the `start` of
    the oldest candle received as `before`.

    Args:
        asset_symbol (str): Ticker, optionally a pair joined by a dash (BTC, ETH-USD)
        interval (CandleInterval):
        limit (int | Unset):  Default: 100.
        before (datetime.datetime | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Candle]
    """

    return (
        await asyncio_detailed(
            asset_symbol=asset_symbol,
            client=client,
            interval=interval,
            limit=limit,
            before=before,
        )
    ).parsed
