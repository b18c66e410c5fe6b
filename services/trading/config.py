"""Settings of the trading service, from TRADING_* environment variables (and the peers'
ANALYTICS_ADDR, NOTIFICATION_ADDR, NFT_ADDR)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import Address, http_target, parse_address
from services.common.notification_calls import MAX_TICKS_PER_CALL
from services.common.settings import PublisherSettings, checked

# The most ticks one outbox bundle carries: MarketDataTickBatchInput.ticks' maxItems in the
# contract (a test keeps the two equal).
MAX_BUNDLE_TICKS = 1000


class TradingSettings(PublisherSettings):
    model_config = SettingsConfigDict(env_prefix="TRADING_", extra="ignore", populate_by_name=True)

    port: int = 8003
    # Where analytics' gRPC endpoint is (in the mesh, this instance's sidecar egress):
    # host:port or unix:/abs/path.
    analytics_addr: str = Field(default="127.0.0.1:50051", validation_alias="ANALYTICS_ADDR")
    # One batch on one stream may take this long, connecting included; then it is retried.
    analytics_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Ticks per StreamTickBatches call: each call waits for analytics' commit, so a larger
    # batch spreads that round trip (measured: 500 -> 9-11k ticks/s, 5,000 -> 18-21k). A POSTed
    # batch is queued as one bundle and taken whole, so a call may carry up to 1,000 more.
    analytics_batch_size: int = Field(default=5000, ge=1, le=5000)
    # Ticks per pass for notification's price ticks, sent 1,000 a call (its batch operation's
    # limit), bundles taken whole; sales' events stay at TRADING_NOTIFICATION_BATCH_SIZE.
    notification_ticks_batch_size: int = Field(default=1000, ge=1, le=5000)

    # The nft service (this instance's sidecar egress for it in the mesh; host:port,
    # unix:/abs/path or a URL):
    # listings' sale approvals and sold NFTs' transfers.
    nft_addr: str = Field(default="127.0.0.1:8002", validation_alias="NFT_ADDR")
    nft_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # The purchase resumer: a pass this often, over pending purchases untouched this long
    # (longer than an nft call, so a purchase a request is working on is left alone).
    purchase_resume_seconds: float = Field(default=5.0, gt=0, le=3600)
    purchase_stale_seconds: float = Field(default=5.0, gt=0, le=3600)

    @field_validator("analytics_addr")
    @classmethod
    def _analytics_is_an_address(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, parse_address)

    @field_validator("nft_addr")
    @classmethod
    def _nft_is_reachable_over_http(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, http_target)

    @model_validator(mode="after")
    def _stale_outlasts_an_nft_call(self) -> TradingSettings:
        if self.purchase_stale_seconds <= self.nft_timeout_seconds:
            raise ValueError(
                "TRADING_PURCHASE_STALE_SECONDS must exceed TRADING_NFT_TIMEOUT_SECONDS"
            )
        return self

    @property
    def analytics_endpoint(self) -> Address:
        return parse_address(self.analytics_addr)

    def slowest_batch_seconds(self) -> float:
        # The first bundle is taken whole: up to MAX_BUNDLE_TICKS even below the batch size.
        ticks = max(self.notification_ticks_batch_size, MAX_BUNDLE_TICKS)
        tick_calls = -(-ticks // MAX_TICKS_PER_CALL)
        return max(
            self.analytics_timeout_seconds,
            self.notification_timeout_seconds * tick_calls,
            super().slowest_batch_seconds(),
        )
