"""Settings of the trading service, from TRADING_* environment variables (and the peers'
ANALYTICS_ADDR, NOTIFICATION_ADDR)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import split_address
from services.common.outbox import RelayPolicy
from services.common.settings import ServiceSettings


class TradingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRADING_", extra="ignore", populate_by_name=True)

    port: int = 8003
    # Where analytics' gRPC endpoint is: in the mesh, this instance's sidecar egress port.
    analytics_addr: str = Field(default="127.0.0.1:50051", validation_alias="ANALYTICS_ADDR")
    # One batch on one stream may take this long, connecting included; then it is retried.
    analytics_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    analytics_batch_size: int = Field(default=500, ge=1, le=5000)
    # Notification's REST endpoint (its sidecar egress in the mesh); one call per tick.
    notification_addr: str = Field(default="127.0.0.1:8005", validation_alias="NOTIFICATION_ADDR")
    notification_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    notification_batch_size: int = Field(default=20, ge=1, le=1000)
    # The outbox relay: poll for due messages this often (a local submit wakes it at once).
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    outbox_max_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A tick a consumer refuses as invalid this many times is parked (logged, counted).
    outbox_max_attempts: int = Field(default=5, ge=1, le=100)

    @field_validator("analytics_addr", "notification_addr")
    @classmethod
    def _is_host_port(cls, value: str) -> str:
        split_address(value)
        return value

    @property
    def analytics_endpoint(self) -> tuple[str, int]:
        return split_address(self.analytics_addr)

    @property
    def relay_policy(self) -> RelayPolicy:
        # The lease outlasts the slowest batch (every notification call timing out).
        slowest = max(
            self.analytics_timeout_seconds,
            self.notification_timeout_seconds * self.notification_batch_size,
        )
        return RelayPolicy(
            poll_interval_seconds=self.outbox_poll_seconds,
            max_backoff_seconds=self.outbox_max_backoff_seconds,
            max_attempts=self.outbox_max_attempts,
            lease_seconds=slowest + 5.0,
        )
