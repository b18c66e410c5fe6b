"""serve() runs the app on the event loop and HTTP parser its settings name."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

from services.common import serve as serving
from services.common.settings import ServiceSettings


def loop_serve_runs_on(monkeypatch: pytest.MonkeyPatch, **env: str) -> type:
    seen: list[type] = []

    async def fake_serve(app: Any, settings: ServiceSettings, service: str, instance: str) -> None:
        seen.append(type(asyncio.get_running_loop()))

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(serving, "_serve", fake_serve)
    monkeypatch.setattr(serving, "configure_json_logging", lambda *args: None)
    serving.serve(object(), ServiceSettings(), "test")
    return seen[0]


def test_auto_serves_on_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert loop_serve_runs_on(monkeypatch) is uvloop.Loop


def test_asyncio_brings_back_the_default_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    loop_type = loop_serve_runs_on(monkeypatch, CAPSURE_EVENT_LOOP="asyncio")
    assert not issubclass(loop_type, uvloop.Loop)
    assert issubclass(loop_type, asyncio.BaseEventLoop)


def test_http_implementation_is_a_mesh_wide_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSURE_HTTP_IMPLEMENTATION", "h11")
    assert ServiceSettings().http_implementation == "h11"
    monkeypatch.setenv("CAPSURE_HTTP_IMPLEMENTATION", "nonsense")
    with pytest.raises(ValueError):
        ServiceSettings()
