"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.addresses import split_address
from services.common.outbox import RelayPolicy

DEFAULT_JWKS_URL = "http://127.0.0.1:8001/api/users/.well-known/jwks.json"


class ServiceSettings(BaseSettings):
    """Settings every service has. Subclasses set `model_config` with their env prefix (NFT_ …)."""

    # populate_by_name: tests and tools may pass mesh-wide settings by field name too.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # In the mesh: a Unix socket (mode 0600) instead of host:port, so that only this
    # instance's sidecar can reach the app (it trusts the sidecar's word on who called).
    uds: Path | None = None
    # Where the default SQLite file lives; ignored when database_url is set.
    data_dir: Path = Path("var/data")
    # e.g. postgres://user@127.0.0.1:5432/capsure_nft; unset means SQLite in data_dir.
    database_url: str | None = None
    log_level: str = "INFO"
    # Validate every response against the contract (on in tests; costs time in production).
    validate_responses: bool = False
    # What uvicorn serves on, mesh-wide. "auto" is what `uvicorn.run` would pick: uvloop and
    # httptools when installed (both are, with uvicorn[standard]). serve() used to run on
    # asyncio.run's default loop whatever this said; "asyncio" brings that back (bench.tuning
    # measures the two).
    event_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        default="auto", validation_alias="CAPSURE_EVENT_LOOP"
    )
    http_implementation: Literal["auto", "httptools", "h11"] = Field(
        default="auto", validation_alias="CAPSURE_HTTP_IMPLEMENTATION"
    )

    # Joining the mesh: unset registry_addr means no registry (the service runs on its own).
    registry_addr: str | None = Field(default=None, validation_alias="REGISTRY_ADDR")
    instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # Where peers reach this instance: its sidecar's inbound listener (default: host:port).
    advertise_addr: str | None = None
    heartbeat_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # On SIGTERM: leave the registry, keep serving this long while Envoys stop routing here,
    # then stop accepting and finish in-flight requests.
    drain_seconds: float = Field(default=1.0, ge=0, le=60)

    # How long a response to an Idempotency-Key is kept for replay.
    idempotency_ttl_seconds: float = Field(default=86400.0, gt=0, le=30 * 86400)

    # Mesh-wide settings, read without the service's prefix.
    environment: str = Field(default="development", validation_alias="CAPSURE_ENV")
    # Tokens are verified against the user service's published keys (through the sidecar in
    # the mesh); a file:// URL works too (a mounted JWKS).
    jwks_url: str = Field(default=DEFAULT_JWKS_URL, validation_alias="CAPSURE_JWKS_URL")
    jwks_cache_seconds: float = Field(
        default=300.0, gt=0, le=86400, validation_alias="CAPSURE_JWKS_CACHE_SECONDS"
    )
    jwt_issuer: str = Field(default="capsure-user", validation_alias="CAPSURE_JWT_ISSUER")


class PublisherSettings(ServiceSettings):
    """A service that publishes through a transactional outbox to the notification service.
    Subclasses set their env prefix and say how long their slowest delivery batch may take."""

    # Notification's REST endpoint (this instance's sidecar egress in the mesh).
    notification_addr: str = Field(default="127.0.0.1:8005", validation_alias="NOTIFICATION_ADDR")
    notification_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    notification_batch_size: int = Field(default=20, ge=1, le=1000)
    # The outbox relay: poll for due messages this often (a local write wakes it at once).
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    outbox_max_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    # A message a consumer refuses as invalid this many times is parked (logged, counted).
    outbox_max_attempts: int = Field(default=5, ge=1, le=100)

    @field_validator("notification_addr")
    @classmethod
    def _notification_is_host_port(cls, value: str) -> str:
        split_address(value)
        return value

    def slowest_batch_seconds(self) -> float:
        # Every notification call of a batch timing out.
        return self.notification_timeout_seconds * self.notification_batch_size

    @property
    def relay_policy(self) -> RelayPolicy:
        # The lease outlasts the slowest batch, so a live relay never loses it mid-delivery.
        return RelayPolicy(
            poll_interval_seconds=self.outbox_poll_seconds,
            max_backoff_seconds=self.outbox_max_backoff_seconds,
            max_attempts=self.outbox_max_attempts,
            lease_seconds=self.slowest_batch_seconds() + 5.0,
        )
