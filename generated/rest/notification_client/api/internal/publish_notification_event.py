from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.notification import Notification
from ...models.notification_event_input import NotificationEventInput
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: NotificationEventInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/internal/notification-events",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Notification | Problem | None:
    if response.status_code == 200:
        response_200 = Notification.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Notification.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

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
) -> Response[Notification | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NotificationEventInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[Notification | Problem]:
    """Deliver an event to its user (internal; services only)

     Idempotent by (eventId, userId): the first delivery answers 201, a repeat 200 with the
    stored notification (read or not), a repeat with a different body 409.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventInput): eventId is chosen by the publisher and stays the same on
            every retry of the event;
            userId is the recipient.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Notification | Problem]
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
    body: NotificationEventInput,
    idempotency_key: str | Unset = UNSET,
) -> Notification | Problem | None:
    """Deliver an event to its user (internal; services only)

     Idempotent by (eventId, userId): the first delivery answers 201, a repeat 200 with the
    stored notification (read or not), a repeat with a different body 409.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventInput): eventId is chosen by the publisher and stays the same on
            every retry of the event;
            userId is the recipient.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Notification | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NotificationEventInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[Notification | Problem]:
    """Deliver an event to its user (internal; services only)

     Idempotent by (eventId, userId): the first delivery answers 201, a repeat 200 with the
    stored notification (read or not), a repeat with a different body 409.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventInput): eventId is chosen by the publisher and stays the same on
            every retry of the event;
            userId is the recipient.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Notification | Problem]
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
    body: NotificationEventInput,
    idempotency_key: str | Unset = UNSET,
) -> Notification | Problem | None:
    """Deliver an event to its user (internal; services only)

     Idempotent by (eventId, userId): the first delivery answers 201, a repeat 200 with the
    stored notification (read or not), a repeat with a different body 409.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventInput): eventId is chosen by the publisher and stays the same on
            every retry of the event;
            userId is the recipient.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Notification | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
