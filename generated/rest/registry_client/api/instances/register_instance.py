from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.instance import Instance
from ...models.problem import Problem
from ...models.registration import Registration
from ...types import Response


def _get_kwargs(
    service: str,
    instance_id: str,
    *,
    body: Registration,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/registry/services/{service}/instances/{instance_id}".format(
            service=quote(str(service), safe=""),
            instance_id=quote(str(instance_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Instance | Problem | None:
    if response.status_code == 200:
        response_200 = Instance.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Instance.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[Instance | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    service: str,
    instance_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Registration,
) -> Response[Instance | Problem]:
    """Register an instance, or renew its registration (the heartbeat)

     Idempotent. Each call restarts the instance's TTL and updates its status. An instance
    registered at the same address under another id is replaced: it cannot be serving there.

    Args:
        service (str):
        instance_id (str):
        body (Registration): Where the instance's sidecar takes calls (`host`, `port`) and, when
            it has one, where
            Prometheus scrapes it at `host` (`metricsPort`: its sidecar's metrics listener).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Instance | Problem]
    """

    kwargs = _get_kwargs(
        service=service,
        instance_id=instance_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    service: str,
    instance_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Registration,
) -> Instance | Problem | None:
    """Register an instance, or renew its registration (the heartbeat)

     Idempotent. Each call restarts the instance's TTL and updates its status. An instance
    registered at the same address under another id is replaced: it cannot be serving there.

    Args:
        service (str):
        instance_id (str):
        body (Registration): Where the instance's sidecar takes calls (`host`, `port`) and, when
            it has one, where
            Prometheus scrapes it at `host` (`metricsPort`: its sidecar's metrics listener).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Instance | Problem
    """

    return sync_detailed(
        service=service,
        instance_id=instance_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    service: str,
    instance_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Registration,
) -> Response[Instance | Problem]:
    """Register an instance, or renew its registration (the heartbeat)

     Idempotent. Each call restarts the instance's TTL and updates its status. An instance
    registered at the same address under another id is replaced: it cannot be serving there.

    Args:
        service (str):
        instance_id (str):
        body (Registration): Where the instance's sidecar takes calls (`host`, `port`) and, when
            it has one, where
            Prometheus scrapes it at `host` (`metricsPort`: its sidecar's metrics listener).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Instance | Problem]
    """

    kwargs = _get_kwargs(
        service=service,
        instance_id=instance_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    service: str,
    instance_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Registration,
) -> Instance | Problem | None:
    """Register an instance, or renew its registration (the heartbeat)

     Idempotent. Each call restarts the instance's TTL and updates its status. An instance
    registered at the same address under another id is replaced: it cannot be serving there.

    Args:
        service (str):
        instance_id (str):
        body (Registration): Where the instance's sidecar takes calls (`host`, `port`) and, when
            it has one, where
            Prometheus scrapes it at `host` (`metricsPort`: its sidecar's metrics listener).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Instance | Problem
    """

    return (
        await asyncio_detailed(
            service=service,
            instance_id=instance_id,
            client=client,
            body=body,
        )
    ).parsed
