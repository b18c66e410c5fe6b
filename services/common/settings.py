"""Typed settings shared by every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.addresses import http_target, http_url_target, socket_path, split_address
from services.common.notification_calls import MAX_EVENTS_PER_CALL
from services.common.outbox import RelayPolicy

T = TypeVar("T")

DEFAULT_JWKS_URL = "http://127.0.0.1:8001/api/users/.well-known/jwks.json"


def env_name(settings: type[BaseSettings], field: str) -> str:
    """The environment variable a setting is read from: its alias, or prefix and name."""
    alias = settings.model_fields[field].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{settings.model_config.get('env_prefix', '')}{field}".upper()


def checked(
    settings: type[BaseSettings], info: ValidationInfo, value: T, check: Callable[[T], Any]
) -> T:
    """`value` if `check` accepts it; else its ValueError, naming the environment variable
    (the model's own error names only the field where there is no alias: `uds`)."""
    if value is None:
        return value
    try:
        check(value)
    except ValueError as error:
        raise ValueError(f"{env_name(settings, str(info.field_name))}: {error}") from None
    return value


def checked_socket(settings: type[BaseSettings], info: ValidationInfo, value: T) -> T:
    """A socket path setting (or None): absolute, no NUL, short enough for sun_path."""
    return checked(settings, info, value, socket_path)


def jwks_source(url: str) -> None:
    """A JWKS URL: file://, http(s):// or http+unix://."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path.startswith("/"):
            raise ValueError(f"{url!r} has no absolute path")
        return
    http_url_target(url)


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
    # host:port, unix:/abs/path (its sidecar's egress to the registry) or a URL.
    registry_addr: str | None = Field(default=None, validation_alias="REGISTRY_ADDR")
    instance_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # Where peers reach this instance: its sidecar's inbound listener (default: host:port).
    advertise_addr: str | None = None
    # Its sidecar's metrics listener, on the advertised host: registered for Prometheus.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    heartbeat_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # On SIGTERM: leave the registry, keep serving this long while Envoys stop routing here,
    # then stop accepting and finish in-flight requests.
    drain_seconds: float = Field(default=1.0, ge=0, le=60)

    # How long a response to an Idempotency-Key is kept for replay.
    idempotency_ttl_seconds: float = Field(default=86400.0, gt=0, le=30 * 86400)

    # Mesh-wide settings, read without the service's prefix.
    environment: str = Field(default="development", validation_alias="CAPSURE_ENV")
    # Each app's RED metrics at /metrics (services/common/metrics.py). Off (`false`): no
    # counting and no page, as `make bench` measures what they cost.
    metrics_enabled: bool = Field(default=True, validation_alias="CAPSURE_METRICS")
    # Internal operations (x-callers) and the registry's writes demand the caller its sidecar
    # verified (mTLS). Off only where no sidecar stands in front (mesh.direct, fuzzing one
    # API): then any caller is believed, so it is refused outside development.
    authenticate_callers: bool = Field(
        default=True, validation_alias="CAPSURE_AUTHENTICATE_CALLERS"
    )
    # Tokens are verified against the user service's published keys (through the sidecar in
    # the mesh: http+unix://<percent-encoded socket path>/api/users/.well-known/jwks.json);
    # a file:// URL works too (a mounted JWKS).
    jwks_url: str = Field(default=DEFAULT_JWKS_URL, validation_alias="CAPSURE_JWKS_URL")
    jwks_cache_seconds: float = Field(
        default=300.0, gt=0, le=86400, validation_alias="CAPSURE_JWKS_CACHE_SECONDS"
    )
    jwt_issuer: str = Field(default="capsure-user", validation_alias="CAPSURE_JWT_ISSUER")

    @field_validator("uds")
    @classmethod
    def _uds_is_a_socket_path(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        return checked_socket(cls, info, value)

    @field_validator("registry_addr")
    @classmethod
    def _registry_is_reachable_over_http(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        return checked(cls, info, value, http_target)

    @field_validator("advertise_addr")
    @classmethod
    def _advertised_as_host_port(cls, value: str | None, info: ValidationInfo) -> str | None:
        return checked(cls, info, value, split_address)

    @field_validator("jwks_url")
    @classmethod
    def _jwks_url_is_a_source(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, jwks_source)

    def private_listeners(self) -> dict[str, Path | None]:
        """Where the app listens for its sidecar's requests, by environment variable: a
        socket path, or None for a TCP port. Services with more listeners add theirs."""
        return {env_name(type(self), "uds"): self.uds}

    @model_validator(mode="after")
    def _callers_authenticated_outside_development(self) -> ServiceSettings:
        if not self.authenticate_callers and self.environment != "development":
            raise ValueError(
                "CAPSURE_AUTHENTICATE_CALLERS=false believes any caller of an internal"
                f" operation: refused with CAPSURE_ENV={self.environment!r}"
            )
        return self

    @model_validator(mode="after")
    def _callers_header_only_from_the_sidecar_outside_development(self) -> ServiceSettings:
        # The caller header is the sidecar's word only where the sidecar alone can send it: a
        # 0600 socket. On a TCP port any local process can forge it (development only).
        if not self.authenticate_callers or self.environment == "development":
            return self
        if on_tcp := [name for name, path in self.private_listeners().items() if path is None]:
            raise ValueError(
                f"{', '.join(on_tcp)} unset: on a TCP port any local process could name any"
                " caller in the header the sidecar sets (x-forwarded-client-cert); outside"
                f" CAPSURE_ENV=development (here {self.environment!r}) the app listens on"
                " Unix sockets only its sidecar can open"
            )
        return self


class PublisherSettings(ServiceSettings):
    """A service that publishes through a transactional outbox to the notification service.
    Subclasses set their env prefix and say how long their slowest delivery batch may take."""

    # Notification's REST endpoint (this instance's sidecar egress in the mesh): host:port,
    # unix:/abs/path or a URL.
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
    def _notification_is_reachable_over_http(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, http_target)

    def slowest_batch_seconds(self) -> float:
        # Every notification call of a batch timing out: its batch calls, then one call per
        # event if notification's contract refused a batch as a whole.
        batch_calls = -(-self.notification_batch_size // MAX_EVENTS_PER_CALL)
        return self.notification_timeout_seconds * (batch_calls + self.notification_batch_size)

    @property
    def relay_policy(self) -> RelayPolicy:
        # The lease outlasts the slowest batch, so a live relay never loses it mid-delivery.
        return RelayPolicy(
            poll_interval_seconds=self.outbox_poll_seconds,
            max_backoff_seconds=self.outbox_max_backoff_seconds,
            max_attempts=self.outbox_max_attempts,
            lease_seconds=self.slowest_batch_seconds() + 5.0,
        )
