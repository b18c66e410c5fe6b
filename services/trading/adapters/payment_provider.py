"""The default PaymentProvider: a fake that approves every deposit. It moves no real money;
this is the place where a real provider's client plugs in (same port, chosen in bootstrap)."""

from __future__ import annotations

import uuid
from uuid import UUID

from services.trading.domain.money import Money
from services.trading.service_layer.ports import PaymentReceipt


class FakePaymentProvider:
    async def collect(self, user_id: UUID, amount: Money, *, key: str | None) -> PaymentReceipt:
        # A reference like a provider's charge id, so entries look as they will in production.
        return PaymentReceipt(reference=f"fake-{uuid.uuid4()}")
