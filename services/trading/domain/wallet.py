"""Wallets: what a user can spend (available) and what pending purchases reserve (held).

Every change is also written as an entry (append-only), so a balance can be audited as the
sum of its entries. The rules here are what the repositories enforce atomically."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from services.trading.domain.errors import InsufficientFunds, WalletLimitExceeded
from services.trading.domain.money import MAX_BALANCE_CENTS, ZERO, Money


class EntryReason(StrEnum):
    DEPOSIT = "deposit"  # available += amount (from the payment provider)
    HOLD = "hold"  # available -= price, held += price (a purchase began)
    RELEASE = "release"  # held -= price, available += price (a purchase failed)
    SETTLE = "settle"  # held -= price (the buyer paid)
    PAYOUT = "payout"  # available += price (the seller was paid)


@dataclass(frozen=True)
class Wallet:
    user_id: UUID
    available: Money = ZERO
    held: Money = ZERO

    def deposit(self, amount: Money) -> Wallet:
        return self._credit(amount)

    def hold(self, amount: Money) -> Wallet:
        if self.available < amount:
            raise InsufficientFunds(str(amount), str(self.available))
        return replace(self, available=self.available - amount, held=self.held + amount)

    def release(self, amount: Money) -> Wallet:
        return replace(self, available=self.available + amount, held=self.held - amount)

    def settle(self, amount: Money) -> Wallet:
        return replace(self, held=self.held - amount)

    def payout(self, amount: Money) -> Wallet:
        return self._credit(amount)

    def _credit(self, amount: Money) -> Wallet:
        if self.available.cents + amount.cents > MAX_BALANCE_CENTS:
            raise WalletLimitExceeded()
        return replace(self, available=self.available + amount)


@dataclass(frozen=True)
class WalletEntry:
    """One change of one wallet; the deltas are in cents and may be negative."""

    id: UUID
    user_id: UUID
    reason: EntryReason
    available_delta: int
    held_delta: int
    created_at: datetime
    purchase_id: UUID | None = None
    reference: str | None = None  # the payment provider's reference of a deposit


def entry_deltas(reason: EntryReason, amount: Money) -> tuple[int, int]:
    """(available, held) change in cents of an entry of this reason."""
    cents = amount.cents
    return {
        EntryReason.DEPOSIT: (cents, 0),
        EntryReason.HOLD: (-cents, cents),
        EntryReason.RELEASE: (cents, -cents),
        EntryReason.SETTLE: (0, -cents),
        EntryReason.PAYOUT: (cents, 0),
    }[reason]
