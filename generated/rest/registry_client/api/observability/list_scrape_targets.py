from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.target_group import TargetGroup
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/registry/scrape-targets",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | list[TargetGroup] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = TargetGroup.from_dict(response_200_item_data)

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
) -> Response[Problem | list[TargetGroup]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | list[TargetGroup]]:
    """Where Prometheus scrapes the mesh (HTTP service discovery)

     Prometheus' `http_sd_configs` format: one target group per metrics page of every
    registered instance that gave its sidecar's metrics port (the app's `/metrics` and its
    sidecar Envoy's `/stats/prometheus`), and of the control plane (the registry, its
    sidecar and the edge). A Prometheus pointed here follows scaling with no config change.
    Labels: `service`, `instance_id`, `source` (`app` or `envoy`) and `__metrics_path__`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[TargetGroup]]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
) -> Problem | list[TargetGroup] | None:
    """Where Prometheus scrapes the mesh (HTTP service discovery)

     Prometheus' `http_sd_configs` format: one target group per metrics page of every
    registered instance that gave its sidecar's metrics port (the app's `/metrics` and its
    sidecar Envoy's `/stats/prometheus`), and of the control plane (the registry, its
    sidecar and the edge). A Prometheus pointed here follows scaling with no config change.
    Labels: `service`, `instance_id`, `source` (`app` or `envoy`) and `__metrics_path__`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[TargetGroup]
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | list[TargetGroup]]:
    """Where Prometheus scrapes the mesh (HTTP service discovery)

     Prometheus' `http_sd_configs` format: one target group per metrics page of every
    registered instance that gave its sidecar's metrics port (the app's `/metrics` and its
    sidecar Envoy's `/stats/prometheus`), and of the control plane (the registry, its
    sidecar and the edge). A Prometheus pointed here follows scaling with no config change.
    Labels: `service`, `instance_id`, `source` (`app` or `envoy`) and `__metrics_path__`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | list[TargetGroup]]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
) -> Problem | list[TargetGroup] | None:
    """Where Prometheus scrapes the mesh (HTTP service discovery)

     Prometheus' `http_sd_configs` format: one target group per metrics page of every
    registered instance that gave its sidecar's metrics port (the app's `/metrics` and its
    sidecar Envoy's `/stats/prometheus`), and of the control plane (the registry, its
    sidecar and the edge). A Prometheus pointed here follows scaling with no config change.
    Labels: `service`, `instance_id`, `source` (`app` or `envoy`) and `__metrics_path__`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | list[TargetGroup]
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
