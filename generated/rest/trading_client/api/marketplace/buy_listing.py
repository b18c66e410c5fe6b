from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.purchase import Purchase
from ...types import Response


def _get_kwargs(
    listing_id: UUID,
    *,
    idempotency_key: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/trading/listings/{listing_id}/purchases".format(
            listing_id=quote(str(listing_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | Purchase | None:
    if response.status_code == 201:
        response_201 = Purchase.from_dict(response.json())

        return response_201

    if response.status_code == 202:
        response_202 = Purchase.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Problem | Purchase]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str,
) -> Response[Problem | Purchase]:
    """Buy a listed NFT (the saga above)

     The Idempotency-Key is required and names the purchase: the same key answers the same
    purchase (resuming it while it is pending), the same key for another listing is a 422.

    Args:
        listing_id (UUID):
        idempotency_key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Purchase]
    """

    kwargs = _get_kwargs(
        listing_id=listing_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str,
) -> Problem | Purchase | None:
    """Buy a listed NFT (the saga above)

     The Idempotency-Key is required and names the purchase: the same key answers the same
    purchase (resuming it while it is pending), the same key for another listing is a 422.

    Args:
        listing_id (UUID):
        idempotency_key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Purchase
    """

    return sync_detailed(
        listing_id=listing_id,
        client=client,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str,
) -> Response[Problem | Purchase]:
    """Buy a listed NFT (the saga above)

     The Idempotency-Key is required and names the purchase: the same key answers the same
    purchase (resuming it while it is pending), the same key for another listing is a 422.

    Args:
        listing_id (UUID):
        idempotency_key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Purchase]
    """

    kwargs = _get_kwargs(
        listing_id=listing_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
    idempotency_key: str,
) -> Problem | Purchase | None:
    """Buy a listed NFT (the saga above)

     The Idempotency-Key is required and names the purchase: the same key answers the same
    purchase (resuming it while it is pending), the same key for another listing is a 422.

    Args:
        listing_id (UUID):
        idempotency_key (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Purchase
    """

    return (
        await asyncio_detailed(
            listing_id=listing_id,
            client=client,
            idempotency_key=idempotency_key,
        )
    ).parsed
