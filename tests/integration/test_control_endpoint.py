"""The launcher's control endpoint (mesh.ctl: status, add, remove) answers only the operator:
whoever can read control.json, written 0600 with a token new on every start."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from mesh import ctl
from mesh.control import MAX_ERROR_CHARACTERS, control_endpoint
from mesh.processes import ProcessFailed
from mesh.topology import HOST

pytestmark = pytest.mark.integration


def idle_mesh(**behaviour: Any) -> Any:
    """What the endpoint reads of a mesh with nothing running yet."""
    return SimpleNamespace(
        edge_url="http://127.0.0.1:1",
        registry=None,
        registry_url="https://127.0.0.1:2",
        instances={},
        topology=SimpleNamespace(services={"nft": None}),
        **behaviour,
    )


def failing_start(service: str) -> Any:
    """add_instance when the new instance does not start: its log's tail says why."""
    log_tail = "\n".join(f"log line {n}: " + "x" * 100 for n in range(2000))
    raise ProcessFailed(f"{service}-3 exited before healthy: {log_tail}\nOSError: disk full")


def no_such_instance(instance_id: str) -> None:
    raise KeyError(instance_id)


def operator(state: Path) -> dict[str, str]:
    return {"Authorization": f"Bearer {json.loads(state.read_text())['token']}"}


def test_only_the_holder_of_the_token_controls_the_mesh(tmp_path: Path) -> None:
    state = tmp_path / "run" / "control.json"
    with control_endpoint(idle_mesh(), state) as url:
        assert stat.S_IMODE(state.stat().st_mode) == 0o600
        token = json.loads(state.read_text())["token"]
        with httpx.Client(timeout=5, trust_env=False) as client:
            for method, path in (
                ("GET", "/"),
                ("POST", "/services/nft/instances"),
                ("DELETE", "/instances/nft-1"),
            ):
                refused = client.request(method, f"{url}{path}")
                assert refused.status_code == 401, (method, path)
                forged = client.request(
                    method, f"{url}{path}", headers={"Authorization": "Bearer guess"}
                )
                assert forged.status_code == 401
            allowed = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200
            assert allowed.json()["services"] == {}
    assert not state.exists()


def test_every_start_has_a_new_token(tmp_path: Path) -> None:
    state = tmp_path / "control.json"
    tokens = set()
    for _ in range(2):
        with control_endpoint(idle_mesh(), state):
            tokens.add(json.loads(state.read_text())["token"])
    assert len(tokens) == 2


def test_an_instance_that_does_not_start_is_a_503_saying_why_in_bounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "run" / "control.json"
    with control_endpoint(idle_mesh(add_instance=failing_start), state) as url:
        answer = httpx.post(f"{url}/services/nft/instances", headers=operator(state), timeout=5)
        assert answer.status_code == 503
        error = answer.json()["error"]
        assert error.startswith("could not add an instance of nft: nft-3 exited before healthy")
        assert error.endswith("OSError: disk full")  # the log's last line, where the cause is
        assert len(error) < MAX_ERROR_CHARACTERS + 100
        with pytest.raises(SystemExit) as refused:
            ctl.main(["--workdir", str(tmp_path), "add", "nft"])
        assert refused.value.code == error


def test_refusals_quote_what_was_asked_for_in_bounds(tmp_path: Path) -> None:
    state = tmp_path / "run" / "control.json"
    asked = "nft-" + "9" * 10_000
    mesh = idle_mesh(remove_instance=no_such_instance)
    with control_endpoint(mesh, state) as url, httpx.Client(timeout=5) as client:
        removed = client.delete(f"{url}/instances/{asked}", headers=operator(state))
        assert removed.status_code == 404
        assert removed.json()["error"].startswith("no instance 'nft-999")
        added = client.post(f"{url}/services/{asked}/instances", headers=operator(state))
        assert added.status_code == 404
        assert added.json()["error"].startswith("unknown service 'nft-999")
        for answer in (removed, added):
            assert len(answer.content) < 200


def test_a_connection_that_sends_no_request_is_closed(tmp_path: Path) -> None:
    with control_endpoint(idle_mesh(), tmp_path / "control.json", timeout=0.5) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection((HOST, port), timeout=10) as silent:
            silent.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
            started = time.monotonic()
            assert silent.recv(1024) == b""  # closed by the server, not by our 10 s
            assert time.monotonic() - started < 5


@pytest.fixture
def not_the_endpoint() -> Iterator[str]:
    """Something else at the address control.json names: it answers 502 with an HTML page."""

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = b"<html><body>Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_state(workdir: Path, url: str) -> None:
    (workdir / "run").mkdir()
    (workdir / "run" / "control.json").write_text(json.dumps({"url": url, "token": "t"}))


def test_ctl_says_what_answered_when_it_is_not_the_endpoint(
    tmp_path: Path, not_the_endpoint: str
) -> None:
    write_state(tmp_path, not_the_endpoint)
    with pytest.raises(SystemExit) as refused:
        ctl.main(["--workdir", str(tmp_path), "status"])
    assert refused.value.code == "502 Bad Gateway"


def test_ctl_says_so_when_no_mesh_answers(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind((HOST, 0))  # bound, never listening: connections are refused
        write_state(tmp_path, f"http://{HOST}:{closed.getsockname()[1]}")
        with pytest.raises(SystemExit) as refused:
            ctl.main(["--workdir", str(tmp_path), "status"])
    assert "does not answer" in str(refused.value.code)
