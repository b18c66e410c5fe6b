from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.notification_event_batch_input import NotificationEventBatchInput
from ...models.notification_event_batch_result import NotificationEventBatchResult
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: NotificationEventBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/internal/notification-events/batches",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> NotificationEventBatchResult | Problem | None:
    if response.status_code == 200:
        response_200 = NotificationEventBatchResult.from_dict(response.json())

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
) -> Response[NotificationEventBatchResult | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NotificationEventBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[NotificationEventBatchResult | Problem]:
    """Deliver up to 500 events to their users in one call (internal; services only)

     For an outbox's batch: each event is delivered as `POST /internal/notification-events`
    would deliver it, in order, and its result sits at its position in `results`:
    `delivered` (new), `duplicate` (delivered before with the same body: nothing changes),
    `conflict` (this eventId went to the user with another body: not delivered) or
    `refused` (well-formed but not deliverable, e.g. an occurredAt without a UTC offset;
    `problems` says why). Events are independent: after a 503 some may be delivered, and
    sending the batch again is safe. A body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NotificationEventBatchResult | Problem]
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
    body: NotificationEventBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> NotificationEventBatchResult | Problem | None:
    """Deliver up to 500 events to their users in one call (internal; services only)

     For an outbox's batch: each event is delivered as `POST /internal/notification-events`
    would deliver it, in order, and its result sits at its position in `results`:
    `delivered` (new), `duplicate` (delivered before with the same body: nothing changes),
    `conflict` (this eventId went to the user with another body: not delivered) or
    `refused` (well-formed but not deliverable, e.g. an occurredAt without a UTC offset;
    `problems` says why). Events are independent: after a 503 some may be delivered, and
    sending the batch again is safe. A body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NotificationEventBatchResult | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: NotificationEventBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> Response[NotificationEventBatchResult | Problem]:
    """Deliver up to 500 events to their users in one call (internal; services only)

     For an outbox's batch: each event is delivered as `POST /internal/notification-events`
    would deliver it, in order, and its result sits at its position in `results`:
    `delivered` (new), `duplicate` (delivered before with the same body: nothing changes),
    `conflict` (this eventId went to the user with another body: not delivered) or
    `refused` (well-formed but not deliverable, e.g. an occurredAt without a UTC offset;
    `problems` says why). Events are independent: after a 503 some may be delivered, and
    sending the batch again is safe. A body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[NotificationEventBatchResult | Problem]
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
    body: NotificationEventBatchInput,
    idempotency_key: str | Unset = UNSET,
) -> NotificationEventBatchResult | Problem | None:
    """Deliver up to 500 events to their users in one call (internal; services only)

     For an outbox's batch: each event is delivered as `POST /internal/notification-events`
    would deliver it, in order, and its result sits at its position in `results`:
    `delivered` (new), `duplicate` (delivered before with the same body: nothing changes),
    `conflict` (this eventId went to the user with another body: not delivered) or
    `refused` (well-formed but not deliverable, e.g. an occurredAt without a UTC offset;
    `problems` says why). Events are independent: after a 503 some may be delivered, and
    sending the batch again is safe. A body outside the schema is a 400 for all.

    Args:
        idempotency_key (str | Unset):
        body (NotificationEventBatchInput):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        NotificationEventBatchResult | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
