"""The marketplace's read models on real databases answer exactly what the domain path
answered: the repositories' listings and sales through the mappers, down to the bytes of the
JSON."""

import json
from datetime import UTC, datetime, timedelta, timezone
from itertools import product
from uuid import uuid4

import pytest

from services.common.database import service_database
from services.trading.adapters.listing_repository import TortoiseListingRepository
from services.trading.adapters.marketplace_views import SqlListingViews, SqlSaleViews
from services.trading.adapters.purchase_repository import TortoiseSaleRepository
from services.trading.config import TradingSettings
from services.trading.domain.listing import Listing, ListingStatus
from services.trading.domain.money import MAX_PRICE_CENTS, Money
from services.trading.domain.purchase import Sale
from tests.integration.conftest import migrated_and_open
from tests.unit.trading_market_fakes import MappedListingViews, MappedSaleViews

pytestmark = pytest.mark.integration

SELLER, OTHER_SELLER, BUYER = uuid4(), uuid4(), uuid4()
NFT, OTHER_NFT = uuid4(), uuid4()
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
PAGES = ((100, 0), (2, 0), (2, 2), (3, 4), (1, 100))
# Money's text for every shape of cents: none, one digit, whole units, the largest price.
CENTS = (0, 5, 10, 100, 12345, MAX_PRICE_CENTS)
ODD_TIMES = (
    T0.replace(microsecond=0),  # isoformat leaves out a zero fraction
    T0.replace(microsecond=999999) + timedelta(seconds=59),  # no rounding up
    T0.astimezone(timezone(timedelta(hours=-3))),  # stored with another offset
    T0,
    T0,  # same time: ordered by id
    T0 + timedelta(days=30),
)


@pytest.fixture
async def db(database_url):
    settings = TradingSettings(database_url=database_url)
    async with migrated_and_open(service_database("trading", settings)):
        yield


def as_json(answer) -> str:
    return json.dumps(answer)  # key order counts: the response body is written in it


async def test_listings_read_as_the_domain_path_answers(db):
    repo = TortoiseListingRepository()
    statuses = list(ListingStatus)
    stored = []
    for n, (at, cents) in enumerate(zip(ODD_TIMES, CENTS, strict=True)):
        # Closed listings never hold the NFT's one open slot: several per NFT are fine.
        status = statuses[n % len(statuses)]
        nft = NFT if status in (ListingStatus.SOLD, ListingStatus.CANCELLED) else uuid4()
        seller = SELLER if n % 2 else OTHER_SELLER
        stored.append(Listing(uuid4(), nft, seller, Money(cents), status, at, at))
    for listing in stored:
        await repo.add(listing)
    await repo.change_status(stored[0].id, stored[0].status, ListingStatus.RESERVED, T0)

    sql, mapped = SqlListingViews(), MappedListingViews(repo)
    for status, nft_id, seller_id in product(
        (None, *statuses), (None, NFT, OTHER_NFT), (None, SELLER, BUYER)
    ):
        for limit, offset in PAGES:
            page = {"status": status, "nft_id": nft_id, "seller_id": seller_id}
            page |= {"limit": limit, "offset": offset}
            expected = await mapped.search(**page)
            assert as_json(await sql.search(**page)) == as_json(expected), page
    for listing_id in [*(listing.id for listing in stored), uuid4()]:
        assert as_json(await sql.listing(listing_id)) == as_json(await mapped.listing(listing_id))
    every = await sql.search(status=None, nft_id=None, seller_id=None, limit=100, offset=0)
    assert sorted(listing["price"] for listing in every) == sorted(
        ["0.00", "0.05", "0.10", "1.00", "123.45", "1000000.00"]
    )


async def test_sales_read_as_the_domain_path_answers(db):
    repo = TortoiseSaleRepository()
    for n, (at, cents) in enumerate(zip(ODD_TIMES, CENTS, strict=True)):
        tx_hash = None if n % 3 == 0 else f"{n:064x}"
        nft = NFT if n % 2 else OTHER_NFT
        await repo.add(
            Sale(uuid4(), uuid4(), uuid4(), nft, SELLER, BUYER, Money(cents), at, tx_hash)
        )

    sql, mapped = SqlSaleViews(), MappedSaleViews(repo)
    for nft_id in (None, NFT, OTHER_NFT, uuid4()):
        for limit, offset in PAGES:
            page = {"nft_id": nft_id, "limit": limit, "offset": offset}
            assert as_json(await sql.search(**page)) == as_json(await mapped.search(**page)), page


async def test_nothing_to_show_is_an_empty_list_or_none(db):
    nothing = {"status": None, "nft_id": None, "seller_id": None, "limit": 50, "offset": 0}
    assert await SqlListingViews().search(**nothing) == []
    assert await SqlListingViews().listing(uuid4()) is None
    assert await SqlSaleViews().search(nft_id=None, limit=50, offset=0) == []
