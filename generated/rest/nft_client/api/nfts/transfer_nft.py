from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.nft import Nft
from ...models.problem import Problem
from ...models.transfer_nft_request import TransferNftRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    nft_id: UUID,
    *,
    body: TransferNftRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/nfts/{nft_id}/transfer".format(
            nft_id=quote(str(nft_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
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
    client: AuthenticatedClient,
    body: TransferNftRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Nft | Problem]:
    """Transfer an NFT the caller owns to another user

    Args:
        nft_id (UUID):
        idempotency_key (str | Unset):
        body (TransferNftRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Nft | Problem]
    """

    kwargs = _get_kwargs(
        nft_id=nft_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    nft_id: UUID,
    *,
    client: AuthenticatedClient,
    body: TransferNftRequest,
    idempotency_key: str | Unset = UNSET,
) -> Nft | Problem | None:
    """Transfer an NFT the caller owns to another user

    Args:
        nft_id (UUID):
        idempotency_key (str | Unset):
        body (TransferNftRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Nft | Problem
    """

    return sync_detailed(
        nft_id=nft_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    nft_id: UUID,
    *,
    client: AuthenticatedClient,
    body: TransferNftRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Nft | Problem]:
    """Transfer an NFT the caller owns to another user

    Args:
        nft_id (UUID):
        idempotency_key (str | Unset):
        body (TransferNftRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Nft | Problem]
    """

    kwargs = _get_kwargs(
        nft_id=nft_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    nft_id: UUID,
    *,
    client: AuthenticatedClient,
    body: TransferNftRequest,
    idempotency_key: str | Unset = UNSET,
) -> Nft | Problem | None:
    """Transfer an NFT the caller owns to another user

    Args:
        nft_id (UUID):
        idempotency_key (str | Unset):
        body (TransferNftRequest):

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
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
