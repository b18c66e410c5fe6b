"""Settings of the nft service, from NFT_* environment variables (and the peer's
NOTIFICATION_ADDR)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import PublisherSettings


class NftSettings(PublisherSettings):
    model_config = SettingsConfigDict(env_prefix="NFT_", extra="ignore", populate_by_name=True)

    port: int = 8002
