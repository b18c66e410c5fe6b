"""PurchaseRepository and SaleRepository on Tortoise ORM. A purchase finishes with a
compare-and-set UPDATE (WHERE status = 'pending'), so concurrent resumers settle it once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from services.trading.adapters.marketplace_views import SqlSaleViews
from services.trading.adapters.orm import PurchaseRecord, SaleRecord
from services.trading.domain.money import Money
from services.trading.domain.purchase import Purchase, PurchaseStatus, Sale
from services.trading.service_layer.ports import DuplicatePurchase


def _purchase(r: PurchaseRecord) -> Purchase:
    return Purchase(
        id=r.id,
        buyer_id=r.buyer_id,
        idempotency_key=r.idempotency_key,
        listing_id=r.listing_id,
        nft_id=r.nft_id,
        seller_id=r.seller_id,
        price=Money(r.price_cents),
        status=PurchaseStatus(r.status),
        created_at=r.created_at,
        updated_at=r.updated_at,
        failure_reason=r.failure_reason,
        sale_id=r.sale_id,
    )


class TortoisePurchaseRepository:
    async def count_by_status(self) -> dict[PurchaseStatus, int]:
        """How many purchases are in each state of the saga (for the app's metrics)."""
        rows = await PurchaseRecord.annotate(n=Count("id")).group_by("status").values("status", "n")
        return {PurchaseStatus(row["status"]): row["n"] for row in rows}

    async def add(self, purchase: Purchase) -> None:
        try:
            await PurchaseRecord.create(
                id=purchase.id,
                buyer_id=purchase.buyer_id,
                idempotency_key=purchase.idempotency_key,
                listing_id=purchase.listing_id,
                nft_id=purchase.nft_id,
                seller_id=purchase.seller_id,
                price_cents=purchase.price.cents,
                status=str(purchase.status),
                failure_reason=purchase.failure_reason,
                sale_id=purchase.sale_id,
                created_at=purchase.created_at,
                updated_at=purchase.updated_at,
            )
        except IntegrityError as error:
            raise DuplicatePurchase() from error

    async def get(self, purchase_id: UUID) -> Purchase | None:
        record = await PurchaseRecord.get_or_none(id=purchase_id)
        return None if record is None else _purchase(record)

    async def by_key(self, buyer_id: UUID, key: str) -> Purchase | None:
        record = await PurchaseRecord.get_or_none(buyer_id=buyer_id, idempotency_key=key)
        return None if record is None else _purchase(record)

    async def finish(
        self,
        purchase_id: UUID,
        status: PurchaseStatus,
        at: datetime,
        *,
        sale_id: UUID | None = None,
        failure_reason: str | None = None,
    ) -> bool:
        if status is PurchaseStatus.PENDING:
            raise ValueError("a purchase finishes as completed or failed")
        changed = await PurchaseRecord.filter(
            id=purchase_id, status=str(PurchaseStatus.PENDING)
        ).update(status=str(status), sale_id=sale_id, failure_reason=failure_reason, updated_at=at)
        return changed == 1

    async def claim(self, purchase: Purchase, at: datetime) -> bool:
        changed = await PurchaseRecord.filter(
            id=purchase.id, status=str(PurchaseStatus.PENDING), updated_at=purchase.updated_at
        ).update(updated_at=at)
        return changed == 1

    async def stale_pending(self, untouched_since: datetime, limit: int) -> Sequence[Purchase]:
        records = (
            await PurchaseRecord.filter(
                status=str(PurchaseStatus.PENDING), updated_at__lte=untouched_since
            )
            .order_by("updated_at", "id")
            .limit(limit)
        )
        return [_purchase(r) for r in records]


def _sale(r: SaleRecord) -> Sale:
    return Sale(
        id=r.id,
        listing_id=r.listing_id,
        purchase_id=r.purchase_id,
        nft_id=r.nft_id,
        seller_id=r.seller_id,
        buyer_id=r.buyer_id,
        price=Money(r.price_cents),
        completed_at=r.completed_at,
        nft_tx_hash=r.nft_tx_hash,
    )


class TortoiseSaleRepository:
    def __init__(self) -> None:
        self._views = SqlSaleViews()

    def views(self) -> SqlSaleViews:
        return self._views

    async def add(self, sale: Sale) -> None:
        await SaleRecord.create(
            id=sale.id,
            listing_id=sale.listing_id,
            purchase_id=sale.purchase_id,
            nft_id=sale.nft_id,
            seller_id=sale.seller_id,
            buyer_id=sale.buyer_id,
            price_cents=sale.price.cents,
            nft_tx_hash=sale.nft_tx_hash,
            completed_at=sale.completed_at,
        )

    async def search(self, *, nft_id: UUID | None, limit: int, offset: int) -> Sequence[Sale]:
        query = SaleRecord.all() if nft_id is None else SaleRecord.filter(nft_id=nft_id)
        records = await query.order_by("-completed_at", "-id").offset(offset).limit(limit)
        return [_sale(r) for r in records]
