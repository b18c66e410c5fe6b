from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.listing import Listing
from ...models.listing_status import ListingStatus
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: ListingStatus | Unset = UNSET,
    nft_id: UUID | Unset = UNSET,
    seller_id: UUID | Unset = UNSET,
    limit: int | Unset = 50,
    offset: int | Unset = 0,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_nft_id: str | Unset = UNSET
    if not isinstance(nft_id, Unset):
        json_nft_id = str(nft_id)
    params["nftId"] = json_nft_id

    json_seller_id: str | Unset = UNSET
    if not isinstance(seller_id, Unset):
        json_seller_id = str(seller_id)
    params["sellerId"] = json_seller_id

    params["limit"] = limit

    params["offset"] = offset

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/trading/listings",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | list[Listing] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Listing.from_dict(response_200_item_data)

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
) -> Response[Problem | list[Listing]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: ListingStatus | Unset = UNSET,
    nft_id: UUID | Unset = UNSET,
    seller_id: UUID | Unset = UNSET,
    limit: int | Unset = 50,
    offset: int | Unset = 0,
) -> Response[Problem | list[Listing]]:
    """Listings, newest first

    Args:
        status (ListingStatus | Unset): active (for sale), reserved (a purchase is under way),
            sold, cancelled (by the
            seller, or because the NFT could not be transferred)
        nft_id (UUID | Unset):
        seller_id (UUID | Unset):
        limit (int | Unset):  Default: 50.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Listing]]
    """

    kwargs = _get_kwargs(
        status=status,
        nft_id=nft_id,
        seller_id=seller_id,
        limit=limit,
        offset=offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    status: ListingStatus | Unset = UNSET,
    nft_id: UUID | Unset = UNSET,
    seller_id: UUID | Unset = UNSET,
    limit: int | Unset = 50,
    offset: int | Unset = 0,
) -> Problem | list[Listing] | None:
    """Listings, newest first

    Args:
        status (ListingStatus | Unset): active (for sale), reserved (a purchase is under way),
            sold, cancelled (by the
            seller, or because the NFT could not be transferred)
        nft_id (UUID | Unset):
        seller_id (UUID | Unset):
        limit (int | Unset):  Default: 50.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Listing]
    """

    return sync_detailed(
        client=client,
        status=status,
        nft_id=nft_id,
        seller_id=seller_id,
        limit=limit,
        offset=offset,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    status: ListingStatus | Unset = UNSET,
    nft_id: UUID | Unset = UNSET,
    seller_id: UUID | Unset = UNSET,
    limit: int | Unset = 50,
    offset: int | Unset = 0,
) -> Response[Problem | list[Listing]]:
    """Listings, newest first

    Args:
        status (ListingStatus | Unset): active (for sale), reserved (a purchase is under way),
            sold, cancelled (by the
            seller, or because the NFT could not be transferred)
        nft_id (UUID | Unset):
        seller_id (UUID | Unset):
        limit (int | Unset):  Default: 50.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[Listing]]
    """

    kwargs = _get_kwargs(
        status=status,
        nft_id=nft_id,
        seller_id=seller_id,
        limit=limit,
        offset=offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    status: ListingStatus | Unset = UNSET,
    nft_id: UUID | Unset = UNSET,
    seller_id: UUID | Unset = UNSET,
    limit: int | Unset = 50,
    offset: int | Unset = 0,
) -> Problem | list[Listing] | None:
    """Listings, newest first

    Args:
        status (ListingStatus | Unset): active (for sale), reserved (a purchase is under way),
            sold, cancelled (by the
            seller, or because the NFT could not be transferred)
        nft_id (UUID | Unset):
        seller_id (UUID | Unset):
        limit (int | Unset):  Default: 50.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[Listing]
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            nft_id=nft_id,
            seller_id=seller_id,
            limit=limit,
            offset=offset,
        )
    ).parsed
