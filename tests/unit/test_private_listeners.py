"""Where the apps may listen: outside development, only on Unix sockets while they believe the
caller header their sidecar sets (on a TCP port any local process could set it instead)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.analytics.config import AnalyticsSettings
from services.nft.config import NftSettings
from services.notification.config import NotificationSettings
from services.registry.config import RegistrySettings
from services.trading.config import TradingSettings
from services.user.config import UserSettings

pytestmark = pytest.mark.unit

PRODUCTION = {"CAPSURE_ENV": "production", "admin_password": "a-real-secret-123"}
# Every listener of each service, by the variable that puts it on a socket.
LISTENERS = {
    UserSettings: {"USER_UDS": "uds"},
    NftSettings: {"NFT_UDS": "uds"},
    TradingSettings: {"TRADING_UDS": "uds"},
    NotificationSettings: {"NOTIFICATION_UDS": "uds"},
    AnalyticsSettings: {"ANALYTICS_UDS": "uds", "ANALYTICS_GRPC_UDS": "grpc_uds"},
    RegistrySettings: {"REGISTRY_UDS": "uds", "REGISTRY_XDS_UDS": "xds_uds"},
}
SERVICES = [pytest.param(settings, id=settings.__name__) for settings in LISTENERS]


def sockets(settings: type, *, but: str | None = None) -> dict[str, str]:
    return {
        field: f"/run/capsure/{field}.sock"
        for variable, field in LISTENERS[settings].items()
        if variable != but
    }


@pytest.mark.parametrize("settings", SERVICES)
def test_outside_development_a_listener_on_tcp_is_refused_by_name(settings):
    for variable in LISTENERS[settings]:
        with pytest.raises(ValidationError, match=f"{variable} unset: on a TCP port") as refused:
            settings(**PRODUCTION, **sockets(settings, but=variable))
        others = set(LISTENERS[settings]) - {variable}
        assert not any(other in str(refused.value) for other in others)


@pytest.mark.parametrize("settings", SERVICES)
def test_outside_development_sockets_for_every_listener_are_accepted(settings):
    configured = settings(**PRODUCTION, **sockets(settings))
    assert configured.private_listeners() == {
        variable: getattr(configured, field) for variable, field in LISTENERS[settings].items()
    }
    assert None not in configured.private_listeners().values()


@pytest.mark.parametrize("settings", SERVICES)
def test_development_may_listen_on_tcp(settings):
    # Benchmarks of an app alone (private_apps=False) and in-process tests.
    assert set(settings().private_listeners().values()) == {None}
