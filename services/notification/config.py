"""Settings of the notification service, from NOTIFICATION_* environment variables."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    port: int = 8005
