"""Settings of the nft service, from NFT_* environment variables (and the peers'
NOTIFICATION_ADDR and USER_ADDR)."""

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import SettingsConfigDict

from services.common.addresses import http_target
from services.common.settings import PublisherSettings, checked


class NftSettings(PublisherSettings):
    model_config = SettingsConfigDict(env_prefix="NFT_", extra="ignore", populate_by_name=True)

    port: int = 8002
    # The user service's REST endpoint (this instance's sidecar egress in the mesh), asked
    # whether a transfer's receiver exists. The default is where a standalone user listens.
    # host:port, unix:/abs/path or a URL.
    user_addr: str = Field(default="127.0.0.1:8001", validation_alias="USER_ADDR")
    # A transfer waits this long at most for the answer before it is refused with a 503.
    user_timeout_seconds: float = Field(default=2.0, gt=0, le=60)

    @field_validator("user_addr")
    @classmethod
    def _user_is_reachable_over_http(cls, value: str, info: ValidationInfo) -> str:
        return checked(cls, info, value, http_target)
