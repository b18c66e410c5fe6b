"""Peer addresses and socket paths: host:port, unix:/abs/path, http(s):// and http+unix://
URLs; what is refused, and that settings refuse it at start-up naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.analytics.config import AnalyticsSettings
from services.common.addresses import (
    MAX_SOCKET_PATH_BYTES,
    HttpTarget,
    TcpAddress,
    UnixAddress,
    http_target,
    http_unix_url,
    http_url_target,
    parse_address,
    socket_path,
)
from services.common.http_transport import PooledTransport
from services.nft.config import NftSettings
from services.registry.config import RegistrySettings
from services.trading.config import TradingSettings
from services.user.config import UserSettings

pytestmark = pytest.mark.unit

LONGEST = "/" + "s" * (MAX_SOCKET_PATH_BYTES - 1)  # 107 bytes
TOO_LONG = LONGEST + "x"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:50051", TcpAddress("127.0.0.1", 50051)),
        ("analytics:1", TcpAddress("analytics", 1)),
        ("[::1]:9", TcpAddress("::1", 9)),
        ("unix:/run/capsure/egress-nft.sock", UnixAddress(Path("/run/capsure/egress-nft.sock"))),
        (f"unix:{LONGEST}", UnixAddress(Path(LONGEST))),
    ],
)
def test_addresses_are_host_port_or_a_unix_socket(text, address):
    assert parse_address(text) == address
    assert str(parse_address(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("unix:", "not absolute"),
        ("unix:relative/egress.sock", "not absolute"),
        ("unix:/run/a\x00b.sock", "NUL"),
        (f"unix:{TOO_LONG}", "108 bytes long"),
        ("unix:/" + "é" * 54, "109 bytes long"),  # counted in bytes, not characters
        ("127.0.0.1", "neither host:port"),
        ("host:0", "neither host:port"),
        ("http://127.0.0.1:50051", "neither host:port"),  # not for gRPC
    ],
)
def test_malformed_addresses_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_address(text)


def test_a_socket_path_at_the_limit_is_taken_and_one_byte_more_is_not():
    assert socket_path(LONGEST) == Path(LONGEST)
    with pytest.raises(ValueError, match=f"at most {MAX_SOCKET_PATH_BYTES}"):
        socket_path(TOO_LONG)


@pytest.mark.parametrize(
    ("address", "target"),
    [
        ("127.0.0.1:8002", HttpTarget("http://127.0.0.1:8002")),
        ("[::1]:8002", HttpTarget("http://[::1]:8002")),
        ("unix:/run/e.sock", HttpTarget("http://localhost", Path("/run/e.sock"))),
        ("http://127.0.0.1:8002/", HttpTarget("http://127.0.0.1:8002/")),
        ("https://nft.example/base", HttpTarget("https://nft.example/base")),
        ("http+unix://%2Frun%2Fe.sock", HttpTarget("http://localhost", Path("/run/e.sock"))),
        (
            "http+unix://%2Frun%2Fe.sock/p?q=1",
            HttpTarget("http://localhost/p?q=1", Path("/run/e.sock")),
        ),
    ],
)
def test_rest_peers_become_a_url_and_maybe_a_socket(address, target):
    assert http_target(address) == target


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("nonsense", "neither host:port"),
        ("ftp://host/x", "not an http://"),
        ("http://", "not an http://"),
        ("http+unix://run%2Fe.sock/x", "not absolute"),  # the path's leading / not encoded
        ("http+unix:///run/e.sock", "not absolute"),  # unencoded: the path is not the socket
        ("unix:e.sock", "not absolute"),
    ],
)
def test_malformed_rest_peers_are_refused(address, reason):
    with pytest.raises(ValueError, match=reason):
        http_target(address)


def test_an_http_unix_url_round_trips():
    url = http_unix_url(Path("/run/capsure dir/egress-user.sock"), "/api/users/jwks.json")
    assert url == "http+unix://%2Frun%2Fcapsure%20dir%2Fegress-user.sock/api/users/jwks.json"
    assert http_url_target(url) == HttpTarget(
        "http://localhost/api/users/jwks.json", Path("/run/capsure dir/egress-user.sock")
    )


def test_plain_http_goes_through_the_pooled_transport_and_https_through_httpxs_own():
    # Both transports are exercised for real in tests/integration/test_http_transport.py and
    # tests/integration/test_unix_socket_clients.py.
    assert isinstance(http_target("127.0.0.1:1").transport(), PooledTransport)
    assert isinstance(http_target("unix:/run/t/egress-nft.sock").transport(), PooledTransport)
    assert http_target("https://idp.example/jwks.json").transport() is None
    assert http_target("https://idp.example/jwks.json").httpx_args() == {}


def test_settings_take_every_address_form(monkeypatch):
    monkeypatch.setenv("ANALYTICS_ADDR", "unix:/run/t/egress-analytics.sock")
    monkeypatch.setenv("NFT_ADDR", "unix:/run/t/egress-nft.sock")
    monkeypatch.setenv("NOTIFICATION_ADDR", "127.0.0.1:15002")
    monkeypatch.setenv("REGISTRY_ADDR", "unix:/run/t/egress-registry.sock")
    monkeypatch.setenv("CAPSURE_JWKS_URL", http_unix_url(Path("/run/t/egress-user.sock"), "/j"))
    monkeypatch.setenv("TRADING_UDS", "/run/t/app.sock")
    settings = TradingSettings()
    assert settings.analytics_endpoint == UnixAddress(Path("/run/t/egress-analytics.sock"))
    assert settings.uds == Path("/run/t/app.sock")
    assert http_target(settings.nft_addr).socket == Path("/run/t/egress-nft.sock")
    monkeypatch.setenv("ANALYTICS_GRPC_UDS", "/run/a/grpc.sock")
    assert AnalyticsSettings().grpc_uds == Path("/run/a/grpc.sock")


@pytest.mark.parametrize(
    ("settings", "variable", "value", "reason"),
    [
        (UserSettings, "USER_UDS", "app.sock", "not absolute"),
        (UserSettings, "NFT_ADDR", "unix:egress.sock", "not absolute"),
        (UserSettings, "REGISTRY_ADDR", "registry", "neither host:port"),
        (UserSettings, "USER_ADVERTISE_ADDR", "user-1", "not host:port"),
        (UserSettings, "CAPSURE_JWKS_URL", "ftp://keys/jwks.json", "not an http://"),
        (UserSettings, "CAPSURE_JWKS_URL", "http+unix://user.sock/jwks.json", "not absolute"),
        (NftSettings, "USER_ADDR", f"unix:{TOO_LONG}", "at most 107"),
        (NftSettings, "NOTIFICATION_ADDR", "notification", "neither host:port"),
        (TradingSettings, "ANALYTICS_ADDR", "http://analytics:1", "neither host:port"),
        (TradingSettings, "NFT_ADDR", "nft", "neither host:port"),
        (AnalyticsSettings, "ANALYTICS_GRPC_UDS", TOO_LONG, "at most 107"),
        (RegistrySettings, "REGISTRY_XDS_UDS", "xds.sock", "not absolute"),
        (RegistrySettings, "REGISTRY_UDS", "rest.sock", "not absolute"),
    ],
)
def test_a_bad_setting_stops_the_start_naming_its_variable(
    monkeypatch, settings, variable, value, reason
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=f"{variable}: .*{reason}"):
        settings()
