"""WalletRepository on Tortoise ORM. Each change is one conditional UPDATE (the balance rules
in its WHERE clause, so concurrent changes cannot overdraw) plus its entry, in the caller's
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.common.sql_inserts import column_value, insert_row
from services.common.sql_trips import fetch_together
from services.common.sql_views import statement
from services.trading.adapters.orm import CONNECTION, WalletEntryRecord, WalletRecord
from services.trading.domain.errors import InsufficientFunds, WalletLimitExceeded
from services.trading.domain.money import MAX_BALANCE_CENTS, Money
from services.trading.domain.wallet import EntryReason, Wallet, WalletEntry, entry_deltas

# Prepared (every deposit, hold, release, settlement and payout runs them): the ORM compiled
# each through pypika, and a created entry cost one more trip for its row id.
_OPEN = statement(
    lambda d: (
        "INSERT INTO wallet (user_id, available_cents, held_cents, updated_at) "
        f"VALUES ({d.param(1)}, 0, 0, {d.param(2)}) ON CONFLICT (user_id) DO NOTHING"
    )
)
# Balances never go below zero, nor available above MAX_BALANCE_CENTS: a change that would
# leave them so changes nothing (no row answered).
_CHANGE = statement(
    lambda d: (
        f"UPDATE wallet SET available_cents = available_cents + {d.param(1)}, "
        f"held_cents = held_cents + {d.param(2)}, updated_at = {d.param(3)} "
        f"WHERE user_id = {d.param(4)} "
        f"AND available_cents + {d.param(5)} BETWEEN 0 AND {d.param(6)} "
        f"AND held_cents + {d.param(7)} >= 0 "
        "RETURNING available_cents, held_cents"
    )
)


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
        user, moment = (
            column_value(WalletRecord, "user_id", user_id),
            column_value(WalletRecord, "updated_at", at),
        )
        # One trip: a first deposit or payout creates the wallet (concurrent first ones do not
        # collide), then the change applies only where the balances stay within their rules
        # (so concurrent changes cannot overdraw) and answers the new balances.
        _, changed = await fetch_together(
            CONNECTION,
            (_OPEN, (user, moment)),
            (_CHANGE, (available, held, moment, user, available, MAX_BALANCE_CENTS, held)),
        )
        if not changed:
            await self._refuse(user_id, reason, amount)
        entry = {
            "id": uuid.uuid4(),
            "user_id": user_id,
            "reason": str(reason),
            "available_delta_cents": available,
            "held_delta_cents": held,
            "purchase_id": purchase_id,
            "reference": reference,
            "created_at": at,
        }
        await insert_row(CONNECTION, WalletEntryRecord, entry)
        balances = changed[0]
        return Wallet(
            user_id, Money(int(balances["available_cents"])), Money(int(balances["held_cents"]))
        )

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
