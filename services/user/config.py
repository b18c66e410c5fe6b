"""Settings of the user service, from USER_* environment variables (and NFT_ADDR)."""

import os
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import http_target
from services.common.settings import ServiceSettings, checked

PLACEHOLDER_ADMIN_PASSWORD = "change-me-dev-only-admin-password"
# The throttle once counted per account alone (anyone could lock out any username) and per
# "client"; its limits now count per (account, address) and per address.
RENAMED_SETTINGS = {
    "USER_LOGIN_FAILURES_PER_ACCOUNT": "USER_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS",
    "USER_LOGIN_FAILURES_PER_CLIENT": "USER_LOGIN_FAILURES_PER_ADDRESS",
}


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

    # The login throttle (services/user/domain/login_throttle.py): failed logins allowed per
    # window per (account, client address), then per client address; past the latter each
    # try waits longer, from the initial back-off doubling up to the maximum.
    login_failures_per_account_address: int = Field(default=5, ge=1, le=1000)
    login_failures_per_address: int = Field(default=30, ge=1, le=100000)
    login_failure_window_seconds: float = Field(default=300.0, gt=0, le=86400)
    login_backoff_initial_seconds: int = Field(default=1, ge=1, le=86400)
    login_backoff_max_seconds: int = Field(default=300, ge=1, le=86400)

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
    def _backoff_fits_the_window(self) -> "UserSettings":
        # Failures older than the window are forgotten: a longer wait would not be kept.
        if not (
            self.login_backoff_initial_seconds
            <= self.login_backoff_max_seconds
            <= self.login_failure_window_seconds
        ):
            raise ValueError(
                "USER_LOGIN_BACKOFF_INITIAL_SECONDS <= USER_LOGIN_BACKOFF_MAX_SECONDS <= "
                "USER_LOGIN_FAILURE_WINDOW_SECONDS must hold"
            )
        return self

    @model_validator(mode="after")
    def _refuse_renamed_throttle_settings(self) -> "UserSettings":
        # Unknown USER_* variables are ignored: a renamed limit would silently be the default.
        if stale := sorted(name for name in RENAMED_SETTINGS if name in os.environ):
            renames = ", ".join(f"{name} is now {RENAMED_SETTINGS[name]}" for name in stale)
            raise ValueError(f"renamed settings: {renames}")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret_outside_development(self) -> "UserSettings":
        if self.environment != "development" and self.admin_password == PLACEHOLDER_ADMIN_PASSWORD:
            raise ValueError(
                "USER_ADMIN_PASSWORD is the development placeholder; set a real one "
                f"when CAPSURE_ENV={self.environment!r}"
            )
        return self
