from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.listing import Listing
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    listing_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/trading/listings/{listing_id}".format(
            listing_id=quote(str(listing_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Listing | Problem | None:
    if response.status_code == 200:
        response_200 = Listing.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Listing | Problem]:
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
) -> Response[Listing | Problem]:
    """Withdraw an active listing (its seller only)

     Cancelling a cancelled listing answers it unchanged; a listing being bought or sold
    is a 409. The nft service's approval for the listing is withdrawn.

    Args:
        listing_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Listing | Problem]
    """

    kwargs = _get_kwargs(
        listing_id=listing_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Listing | Problem | None:
    """Withdraw an active listing (its seller only)

     Cancelling a cancelled listing answers it unchanged; a listing being bought or sold
    is a 409. The nft service's approval for the listing is withdrawn.

    Args:
        listing_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Listing | Problem
    """

    return sync_detailed(
        listing_id=listing_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Listing | Problem]:
    """Withdraw an active listing (its seller only)

     Cancelling a cancelled listing answers it unchanged; a listing being bought or sold
    is a 409. The nft service's approval for the listing is withdrawn.

    Args:
        listing_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Listing | Problem]
    """

    kwargs = _get_kwargs(
        listing_id=listing_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    listing_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Listing | Problem | None:
    """Withdraw an active listing (its seller only)

     Cancelling a cancelled listing answers it unchanged; a listing being bought or sold
    is a 409. The nft service's approval for the listing is withdrawn.

    Args:
        listing_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Listing | Problem
    """

    return (
        await asyncio_detailed(
            listing_id=listing_id,
            client=client,
        )
    ).parsed
