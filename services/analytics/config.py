"""Settings of the analytics service, from ANALYTICS_* environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    port: int = 8004
    # gRPC listens on `host` too, beside the REST port.
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    # How long a stopping server lets running RPCs finish before it cancels them.
    grpc_shutdown_grace_seconds: float = Field(default=5.0, ge=0, le=60)
