"""The marketplace's read models on SQL: listings (a page of them, one) and sales as the
contract's JSON, one statement each, for the hot reads. Every write goes through the
repositories and the domain model.

They answer exactly what `listing_to_contract` and `sale_to_contract` make of the
repositories' listings and sales (an integration test holds them to that on both databases)."""

from __future__ import annotations

from itertools import combinations
from typing import Any
from uuid import UUID

from services.common.sql_views import Dialect, Statement, contract_timestamp, fetch, statement
from services.trading.adapters.orm import CONNECTION
from services.trading.domain.listing import ListingStatus
from services.trading.domain.money import CURRENCY

# A code constant ("USD"), not input: written into the statements as the mappers answer it.
_CURRENCY = f"'{CURRENCY}' AS \"currency\""


def _money(d: Dialect, cents: str) -> str:
    """Whole cents as Money's text: a decimal string with two places (cents are never
    negative: Money refuses them)."""
    if d.name == "sqlite":
        return f"printf('%d.%02d', {cents} / 100, {cents} % 100)"
    return f"(({cents} / 100)::text || '.' || lpad(({cents} % 100)::text, 2, '0'))"


def _listing_columns(d: Dialect) -> str:
    return f"""CAST(id AS TEXT) AS "id", CAST(nft_id AS TEXT) AS "nftId",
        CAST(seller_id AS TEXT) AS "sellerId", {_money(d, "price_cents")} AS "price",
        {_CURRENCY}, status AS "status", {d.timestamp("created_at")} AS "createdAt",
        {d.timestamp("updated_at")} AS "updatedAt"
    FROM listing"""


_LISTING_FILTERS = ("status", "nft_id", "seller_id")


def _listings(filters: tuple[str, ...]) -> Statement:
    # As TortoiseListingRepository.search: the given filters, newest first.
    def template(d: Dialect) -> str:
        where = " AND ".join(f"{column} = {d.param(n)}" for n, column in enumerate(filters, 1))
        page = f"LIMIT {d.param(len(filters) + 1)} OFFSET {d.param(len(filters) + 2)}"
        return (
            f"SELECT {_listing_columns(d)}{' WHERE ' + where if where else ''}"
            f" ORDER BY created_at DESC, id DESC {page}"
        )

    return statement(template)


# One statement for each set of filters a search may give (at most 8).
_SEARCHES = {
    used: _listings(used)
    for size in range(len(_LISTING_FILTERS) + 1)
    for used in combinations(_LISTING_FILTERS, size)
}
_LISTING = statement(lambda d: f"SELECT {_listing_columns(d)} WHERE id = {d.param(1)}")


def _sale_columns(d: Dialect) -> str:
    return f"""CAST(id AS TEXT) AS "id", CAST(listing_id AS TEXT) AS "listingId",
        CAST(purchase_id AS TEXT) AS "purchaseId", CAST(nft_id AS TEXT) AS "nftId",
        CAST(seller_id AS TEXT) AS "sellerId", CAST(buyer_id AS TEXT) AS "buyerId",
        {_money(d, "price_cents")} AS "price", {_CURRENCY}, nft_tx_hash AS "nftTxHash",
        {d.timestamp("completed_at")} AS "completedAt"
    FROM sale"""


# As TortoiseSaleRepository.search: all, or the NFT's; newest first.
_ORDER_SALES = "ORDER BY completed_at DESC, id DESC"
_SALES = statement(
    lambda d: f"SELECT {_sale_columns(d)} {_ORDER_SALES} LIMIT {d.param(1)} OFFSET {d.param(2)}"
)
_NFT_SALES = statement(
    lambda d: (
        f"""SELECT {_sale_columns(d)} WHERE nft_id = {d.param(1)} {_ORDER_SALES}
    LIMIT {d.param(2)} OFFSET {d.param(3)}"""
    )
)


def _listing(row: dict[str, Any]) -> dict[str, Any]:
    row["createdAt"] = contract_timestamp(row["createdAt"])
    row["updatedAt"] = contract_timestamp(row["updatedAt"])
    return row


def _sale(row: dict[str, Any]) -> dict[str, Any]:
    row["completedAt"] = contract_timestamp(row["completedAt"])
    return row


class SqlListingViews:
    async def listing(self, listing_id: UUID) -> dict[str, Any] | None:
        rows = await fetch(CONNECTION, _LISTING, str(listing_id))
        return _listing(rows[0]) if rows else None

    async def search(
        self,
        *,
        status: ListingStatus | None,
        nft_id: UUID | None,
        seller_id: UUID | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        wanted = {"status": status, "nft_id": nft_id, "seller_id": seller_id}
        used = tuple(column for column, value in wanted.items() if value is not None)
        params = [str(wanted[column]) for column in used]
        rows = await fetch(CONNECTION, _SEARCHES[used], *params, limit, offset)
        return [_listing(row) for row in rows]


class SqlSaleViews:
    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> list[dict[str, Any]]:
        if nft_id is None:
            rows = await fetch(CONNECTION, _SALES, limit, offset)
        else:
            rows = await fetch(CONNECTION, _NFT_SALES, str(nft_id), limit, offset)
        return [_sale(row) for row in rows]
