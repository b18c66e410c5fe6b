from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.nft import Nft
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    nft_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/nfts/{nft_id}".format(
            nft_id=quote(str(nft_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Nft | Problem | None:
    if response.status_code == 200:
        response_200 = Nft.from_dict(response.json())

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
) -> Response[Nft | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    nft_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Nft | Problem]:
    """Get one NFT

    Args:
        nft_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Nft | Problem]
    """

    kwargs = _get_kwargs(
        nft_id=nft_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    nft_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Nft | Problem | None:
    """Get one NFT

    Args:
        nft_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Nft | Problem
    """

    return sync_detailed(
        nft_id=nft_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    nft_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Nft | Problem]:
    """Get one NFT

    Args:
        nft_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Nft | Problem]
    """

    kwargs = _get_kwargs(
        nft_id=nft_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    nft_id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Nft | Problem | None:
    """Get one NFT

    Args:
        nft_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Nft | Problem
    """

    return (
        await asyncio_detailed(
            nft_id=nft_id,
            client=client,
        )
    ).parsed
