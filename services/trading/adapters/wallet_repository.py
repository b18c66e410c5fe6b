"""WalletRepository on Tortoise ORM. Each change is one conditional UPDATE (the balance rule
in its WHERE clause, so concurrent changes cannot overdraw) plus its entry, in the caller's
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import F

from services.common.uncancellable import finished_even_if_cancelled
from services.trading.adapters.orm import WalletEntryRecord, WalletRecord
from services.trading.domain.errors import InsufficientFunds, WalletLimitExceeded
from services.trading.domain.money import MAX_BALANCE_CENTS, Money
from services.trading.domain.wallet import EntryReason, Wallet, WalletEntry, entry_deltas


def _to_domain(record: WalletRecord) -> Wallet:
    return Wallet(record.user_id, Money(record.available_cents), Money(record.held_cents))


class TortoiseWalletRepository:
    async def get(self, user_id: UUID) -> Wallet:
        record = await WalletRecord.get_or_none(user_id=user_id)
        return Wallet(user_id) if record is None else _to_domain(record)

    async def apply(
        self,
        user_id: UUID,
        reason: EntryReason,
        amount: Money,
        at: datetime,
        *,
        purchase_id: UUID | None = None,
        reference: str | None = None,
    ) -> Wallet:
        available, held = entry_deltas(reason, amount)
        # A first deposit or payout creates the wallet; concurrent first ones do not collide.
        first = WalletRecord(user_id=user_id, available_cents=0, held_cents=0, updated_at=at)
        await finished_even_if_cancelled(WalletRecord.bulk_create([first], ignore_conflicts=True))
        rules: dict[str, Any] = {}
        if available < 0:
            rules["available_cents__gte"] = -available
        if available > 0:
            rules["available_cents__lte"] = MAX_BALANCE_CENTS - available
        if held < 0:
            rules["held_cents__gte"] = -held
        changed = await WalletRecord.filter(user_id=user_id, **rules).update(
            available_cents=F("available_cents") + available,
            held_cents=F("held_cents") + held,
            updated_at=at,
        )
        if not changed:
            await self._refuse(user_id, reason, amount)
        await WalletEntryRecord.create(
            id=uuid.uuid4(),
            user_id=user_id,
            reason=str(reason),
            available_delta_cents=available,
            held_delta_cents=held,
            purchase_id=purchase_id,
            reference=reference,
            created_at=at,
        )
        return await self.get(user_id)

    async def _refuse(self, user_id: UUID, reason: EntryReason, amount: Money) -> None:
        wallet = await self.get(user_id)
        if reason is EntryReason.HOLD:
            raise InsufficientFunds(str(amount), str(wallet.available))
        if reason in (EntryReason.DEPOSIT, EntryReason.PAYOUT):
            raise WalletLimitExceeded()
        # Releasing or settling more than is held: a bug, never a client's mistake.
        raise RuntimeError(f"wallet {user_id} holds {wallet.held}, cannot {reason} {amount}")

    async def entries(self, user_id: UUID) -> Sequence[WalletEntry]:
        records = await WalletEntryRecord.filter(user_id=user_id).order_by("created_at", "id")
        return [
            WalletEntry(
                id=r.id,
                user_id=r.user_id,
                reason=EntryReason(r.reason),
                available_delta=r.available_delta_cents,
                held_delta=r.held_delta_cents,
                created_at=r.created_at,
                purchase_id=r.purchase_id,
                reference=r.reference,
            )
            for r in records
        ]
