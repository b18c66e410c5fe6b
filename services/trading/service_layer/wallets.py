"""Wallet use cases: the caller's balances, and deposits through the payment provider."""

from __future__ import annotations

from uuid import UUID

from services.trading.domain.money import Money
from services.trading.domain.wallet import EntryReason, Wallet
from services.trading.service_layer.deps import TradingDeps


async def get_wallet(deps: TradingDeps, user_id: UUID) -> Wallet:
    return await deps.marketplace.wallets.get(user_id)


async def deposit_funds(
    deps: TradingDeps, user_id: UUID, amount_text: str, *, key: str | None = None
) -> Wallet:
    """Collect the amount from the provider, then credit it with its entry. A keyed retry is
    answered by the Idempotency-Key wrapper (whose transaction this runs in) before it gets
    here; the key also goes to the provider, so a real one can dedupe the charge."""
    amount = Money.positive(amount_text, "amount")
    market = deps.marketplace
    # The wallet limit is checked before charging, so a deposit that cannot be credited
    # takes no money (the credit below checks again, atomically).
    (await market.wallets.get(user_id)).deposit(amount)
    receipt = await market.payments.collect(user_id, amount, key=key)
    async with deps.transaction():
        return await market.wallets.apply(
            user_id, EntryReason.DEPOSIT, amount, deps.clock(), reference=receipt.reference
        )
