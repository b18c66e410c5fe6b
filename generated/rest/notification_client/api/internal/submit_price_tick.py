from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.price_tick_input import PriceTickInput
from ...models.price_tick_result import PriceTickResult
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PriceTickInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/internal/price-ticks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PriceTickResult | Problem | None:
    if response.status_code == 200:
        response_200 = PriceTickResult.from_dict(response.json())

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
) -> Response[PriceTickResult | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[PriceTickResult | Problem]:
    """Apply a price tick and fire the alerts it crosses (internal; services only)

     See the crossing rule above. Sending a tick again (a retry) fires nothing twice: it is
    a `duplicate`, or `stale` once a newer tick of the asset has been applied.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PriceTickResult | Problem]
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
    body: PriceTickInput,
    idempotency_key: str | Unset = UNSET,
) -> PriceTickResult | Problem | None:
    """Apply a price tick and fire the alerts it crosses (internal; services only)

     See the crossing rule above. Sending a tick again (a retry) fires nothing twice: it is
    a `duplicate`, or `stale` once a newer tick of the asset has been applied.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PriceTickResult | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PriceTickInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[PriceTickResult | Problem]:
    """Apply a price tick and fire the alerts it crosses (internal; services only)

     See the crossing rule above. Sending a tick again (a retry) fires nothing twice: it is
    a `duplicate`, or `stale` once a newer tick of the asset has been applied.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PriceTickResult | Problem]
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
    body: PriceTickInput,
    idempotency_key: str | Unset = UNSET,
) -> PriceTickResult | Problem | None:
    """Apply a price tick and fire the alerts it crosses (internal; services only)

     See the crossing rule above. Sending a tick again (a retry) fires nothing twice: it is
    a `duplicate`, or `stale` once a newer tick of the asset has been applied.

    Args:
        idempotency_key (str | Unset):
        body (PriceTickInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PriceTickResult | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
