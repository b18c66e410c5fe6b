"""Settings of the nft service, from NFT_* environment variables."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class NftSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NFT_", extra="ignore")

    port: int = 8002
