"""Consumer-driven contract for nft -> notification: the outbox delivers NFT events, one per
recipient, with `POST /internal/notification-events/batches` (eventId derived from the ledger
transaction); a new event is `delivered`, a redelivered one `duplicate`, each with the user's
notification id.

Consumer side: nft's real NotificationEventDelivery adapter (generated client) talks to pact's mock
notification service; the resulting pact must equal the committed one in contracts/pacts/
(regenerate with CAPSURE_UPDATE_PACTS=1). Provider side: a real notification process is
verified against the committed pact, with provider states set up through its own API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import pytest
from pact import Pact, match

from services.common.notification_events import NotificationEventDelivery
from services.common.outbox import OutboxMessage
from tests.support.pacts import PACTS, assert_committed, interactions, verified_interactions
from tests.support.platform import running_services

pytestmark = pytest.mark.contract

PACT_FILE = PACTS / "nft-notification.json"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


NFT_ID = "3b9d5f7a-1c2e-4d6f-8a0b-2c4e6a8b0d1f"
ALICE = "1f3e5d7c-9b0a-4c2e-8d4f-6a8c0e2b4d6f"
BOB = "2e4d6c8b-0a1f-4e3d-9c5b-7a9e1d3f5b7d"


def minted(event_id: str, user_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": "nft.minted",
        "userId": user_id,
        "occurredAt": "2026-01-01T00:00:00Z",
        "data": {"nftId": NFT_ID, "nftName": "Ape #1"},
    }


def transferred(event_id: str, user_id: str) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": "nft.transferred",
        "userId": user_id,
        "occurredAt": "2026-01-01T00:00:05Z",
        "data": {"nftId": NFT_ID, "nftName": "Ape #1", "fromUserId": ALICE, "toUserId": BOB},
    }


NEW_EVENT = minted("5d7f9b1d-3f5b-4d7f-9b1d-3f5b7d9f1b3d", ALICE)
REDELIVERED_EVENT = transferred("6e8a0c2e-4a6c-4e8a-8c2e-4a6c8e0a2c4e", BOB)


def nft_notification_pact() -> Pact:
    return Pact("nft", "notification").with_specification("V4")


def _data(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: match.str(value) if key == "nftName" else match.uuid(value)
        for key, value in data.items()
    }


def expect_delivery(pact: Pact, payload: dict[str, Any], state: str, outcome: str) -> None:
    (
        pact.upon_receiving(f"a batch of NFT events from nft ({state})")
        .given(state, eventId=payload["eventId"], userId=payload["userId"], type=payload["type"])
        .with_request("POST", "/internal/notification-events/batches")
        .with_body(
            {
                "events": [
                    {
                        "eventId": match.uuid(payload["eventId"]),
                        "type": match.regex(payload["type"], regex=r"^nft\.(minted|transferred)$"),
                        "userId": match.uuid(payload["userId"]),
                        "occurredAt": match.regex(payload["occurredAt"], regex=RFC3339),
                        "data": _data(payload["data"]),
                    }
                ]
            },
            content_type="application/json",
        )
        .will_respond_with(200)
        .with_body(
            {
                # One result per event, in order: nft reads the outcome.
                "results": [
                    {
                        "outcome": outcome,
                        "notificationId": match.uuid("0b1d3f5a-7c9e-4b1d-8f5a-7c9e1b3d5f7a"),
                    }
                ]
            },
            content_type="application/json",
        )
    )


def message(payload: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(1, "nft.events", payload, T0, 0, T0)


@pytest.mark.parametrize(
    ("payload", "state", "outcome"),
    [
        (NEW_EVENT, "the event was not delivered to the user", "delivered"),
        (REDELIVERED_EVENT, "the event was already delivered to the user", "duplicate"),
    ],
)
async def test_consumer_delivers_an_nft_event(pact_dir, payload, state, outcome):
    pact = nft_notification_pact()
    expect_delivery(pact, payload, state, outcome)
    with pact.serve() as server:
        deliver = NotificationEventDelivery(str(server.url), 2.0)
        try:
            refused = await deliver([message(payload)])
        finally:
            await deliver.aclose()
    assert refused == {}  # taken: nothing to retry or park
    pact.write_file(pact_dir, overwrite=False)


def test_generated_pact_matches_the_committed_contract(pact_dir):
    assert_committed(pact_dir, "nft-notification", "tests/contract/test_pact_nft_notification.py")


def test_notification_provider_honours_the_nft_pact(tmp_path):
    with running_services(tmp_path, ["notification"]) as services:
        notification = services["notification"]

        def provider_state(
            state: str, action: Literal["setup", "teardown"], parameters: dict[str, Any] | None
        ) -> None:
            # States are reached through the provider's own API, never its tables.
            if action == "setup" and state == "the event was already delivered to the user":
                params = parameters or {}
                build = transferred if params["type"] == "nft.transferred" else minted
                response = httpx.post(
                    f"{notification.url}/internal/notification-events",
                    json=build(params["eventId"], params["userId"]),
                )
                response.raise_for_status()

        verified = verified_interactions(
            "notification", notification.url, PACT_FILE, provider_state
        )
    assert verified == len(interactions(PACT_FILE)) == 2
