"""Settings of the user service, from USER_* environment variables (and NFT_ADDR)."""

from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import http_target
from services.common.settings import ServiceSettings, checked

PLACEHOLDER_ADMIN_PASSWORD = "change-me-dev-only-admin-password"


class UserSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="USER_", extra="ignore")

    port: int = 8001
    # The nft service (the local sidecar's egress for it in the mesh): host:port,
    # unix:/abs/path or a URL.
    nft_addr: str = Field(default="127.0.0.1:8002", validation_alias="NFT_ADDR")
    nft_timeout_seconds: float = Field(default=2.0, gt=0, le=60)

    # Access tokens are short: a disabled account's tokens die with them.
    token_ttl_seconds: int = Field(default=300, ge=60, le=86400)
    refresh_token_ttl_seconds: int = Field(default=14 * 86400, ge=300, le=365 * 86400)
    # RS256 keys, one PEM per key, shared by the service's instances. Generated on first start
    # when empty; mount your own (a secret volume) to load them from configuration.
    signing_keys_dir: Path | None = None  # default: <data_dir>/signing-keys
    # A rotated-in key is published this long before it signs: longer than any JWKS cache
    # (the edge's is 30 s), so no verifier meets a token whose key it has not seen.
    key_activation_seconds: float = Field(default=60.0, ge=0, le=86400)

    # Failed logins allowed per window, per account and per client address.
    login_failures_per_account: int = Field(default=5, ge=1, le=1000)
    login_failures_per_client: int = Field(default=30, ge=1, le=100000)
    login_failure_window_seconds: float = Field(default=300.0, gt=0, le=86400)

    # The first administrator, created at start-up if missing.
    admin_username: str = Field(default="admin", pattern=r"^[A-Za-z0-9_.-]{3,32}$")
    admin_email: str = "admin@capsure.local"
    admin_password: str = Field(default=PLACEHOLDER_ADMIN_PASSWORD, min_length=12)

    @field_validator("nft_addr")
    @classmethod
    def _nft_is_reachable_over_http(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, http_target)

    @property
    def keys_dir(self) -> Path:
        return self.signing_keys_dir or self.data_dir / "signing-keys"

    @model_validator(mode="after")
    def _refuse_placeholder_secret_outside_development(self) -> "UserSettings":
        if self.environment != "development" and self.admin_password == PLACEHOLDER_ADMIN_PASSWORD:
            raise ValueError(
                "USER_ADMIN_PASSWORD is the development placeholder; set a real one "
                f"when CAPSURE_ENV={self.environment!r}"
            )
        return self
