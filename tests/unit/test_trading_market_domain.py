"""The marketplace's pure rules: money, wallets, listing states, sale event ids."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.trading.domain.errors import InsufficientFunds, InvalidAmount, WalletLimitExceeded
from services.trading.domain.listing import ListingStatus, check_transition
from services.trading.domain.money import MAX_BALANCE_CENTS, Money
from services.trading.domain.purchase import Sale
from services.trading.domain.wallet import EntryReason, Wallet, entry_deltas
from tests.support.clock import FakeClock

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "cents", "shown"),
    [
        ("0", 0, "0.00"),
        ("12.5", 1250, "12.50"),
        ("0.01", 1, "0.01"),
        ("1000000", 10**8, "1000000.00"),
    ],
)
def test_money_is_exact_cents_shown_with_two_decimals(text, cents, shown):
    money = Money.parse(text)
    assert (money.cents, str(money)) == (cents, shown)


def test_sums_are_exact():
    assert Money.parse("0.1") + Money.parse("0.2") == Money.parse("0.3")


@pytest.mark.parametrize("text", ["", "1.234", "-1", "01", "1e3", " 1", "1.", ".5", "NaN", 1])
def test_money_that_is_not_a_two_decimal_string_is_refused(text):
    with pytest.raises(InvalidAmount):
        Money.parse(text)


@pytest.mark.parametrize("text", ["0", "0.00", "1000000.01", "9999999.99"])
def test_a_price_or_deposit_is_more_than_zero_and_at_most_a_million(text):
    with pytest.raises(InvalidAmount):
        Money.positive(text, "price")


def test_holding_moves_available_to_held_and_never_below_zero():
    wallet = Wallet(uuid4()).deposit(Money(1000))
    held = wallet.hold(Money(600))
    assert (held.available, held.held) == (Money(400), Money(600))
    with pytest.raises(InsufficientFunds):
        held.hold(Money(401))
    assert held.release(Money(600)) == wallet
    assert held.settle(Money(600)).held == Money(0)


def test_a_wallet_cannot_grow_beyond_what_the_contract_can_show():
    full = Wallet(uuid4(), available=Money(MAX_BALANCE_CENTS))
    with pytest.raises(WalletLimitExceeded):
        full.payout(Money(1))


@pytest.mark.parametrize("reason", list(EntryReason))
def test_an_entry_changes_the_balances_as_the_wallet_rule_does(reason):
    start = Wallet(uuid4(), available=Money(500), held=Money(500))
    after = getattr(start, str(reason))(Money(200))
    available, held = entry_deltas(reason, Money(200))
    assert after.available.cents - start.available.cents == available
    assert after.held.cents - start.held.cents == held


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (ListingStatus.SOLD, ListingStatus.ACTIVE),
        (ListingStatus.SOLD, ListingStatus.CANCELLED),
        (ListingStatus.CANCELLED, ListingStatus.RESERVED),
        (ListingStatus.ACTIVE, ListingStatus.SOLD),  # only a reserved listing is sold
    ],
)
def test_listings_move_only_along_the_state_machine(current, new):
    with pytest.raises(ValueError):
        check_transition(current, new)


def test_sale_events_have_one_stable_id_per_recipient():
    sale = Sale(uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), uuid4(), Money(1), FakeClock().now)
    assert sale.event_id("buyer") == sale.event_id("buyer") != sale.event_id("seller")
