"""Settings of the trading service, from TRADING_* environment variables (and the peers'
ANALYTICS_ADDR, NOTIFICATION_ADDR)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import split_address
from services.common.settings import PublisherSettings


class TradingSettings(PublisherSettings):
    model_config = SettingsConfigDict(env_prefix="TRADING_", extra="ignore", populate_by_name=True)

    port: int = 8003
    # Where analytics' gRPC endpoint is: in the mesh, this instance's sidecar egress port.
    analytics_addr: str = Field(default="127.0.0.1:50051", validation_alias="ANALYTICS_ADDR")
    # One batch on one stream may take this long, connecting included; then it is retried.
    analytics_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    analytics_batch_size: int = Field(default=500, ge=1, le=5000)

    @field_validator("analytics_addr")
    @classmethod
    def _is_host_port(cls, value: str) -> str:
        split_address(value)
        return value

    @property
    def analytics_endpoint(self) -> tuple[str, int]:
        return split_address(self.analytics_addr)

    def slowest_batch_seconds(self) -> float:
        return max(self.analytics_timeout_seconds, super().slowest_batch_seconds())
