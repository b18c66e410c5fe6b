"""Settings of the user service, from USER_* environment variables (and NFT_ADDR)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class UserSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="USER_", extra="ignore")

    port: int = 8001
    # The nft service (later: the local sidecar's egress for it), host:port or a URL.
    nft_addr: str = Field(default="127.0.0.1:8002", validation_alias="NFT_ADDR")
    nft_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    token_ttl_seconds: int = Field(default=900, ge=60, le=86400)
