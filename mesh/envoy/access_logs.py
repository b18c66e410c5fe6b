"""Every HTTP listener's access log: one JSON line per request on the Envoy's stdout (its log
file under the launcher, beside its own log lines, which are JSON too: ENVOY_LOG_FORMAT), with
the ids the apps log (services/common/json_logs.py): the request id the edge makes and every
hop forwards, and the trace id once a tracer sets one. So `make logs SERVICE=…` follows one
request through the edge, the sidecars and the apps.

What a client controls is bounded here (Envoy escapes it as JSON): the request id to 64
characters, the path to 256. No header that carries a credential is logged."""

from __future__ import annotations

from mesh.envoy.common import Config, typed

STDOUT_LOG = "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog"
# Envoy's own log lines (its --log-format): JSON objects with the access lines' time format.
ENVOY_LOG_FORMAT = '{"time":"%Y-%m-%dT%T.%eZ","level":"%l","logger":"%n","message":"%j"}'


def access_log_format(listener: str) -> Config:
    return {
        "time": "%START_TIME(%Y-%m-%dT%H:%M:%S.%3fZ)%",
        "level": "info",
        "logger": "access",
        "listener": listener,
        "request_id": "%REQ(X-REQUEST-ID):64%",
        "trace_id": "%TRACE_ID%",
        "method": "%REQ(:METHOD)%",
        "path": "%REQ(:PATH):256%",
        "protocol": "%PROTOCOL%",
        "status": "%RESPONSE_CODE%",
        "grpc_status": "%GRPC_STATUS_NUMBER%",
        "flags": "%RESPONSE_FLAGS%",
        "duration_ms": "%DURATION%",
        "upstream": "%UPSTREAM_HOST%",
        "bytes_received": "%BYTES_RECEIVED%",
        "bytes_sent": "%BYTES_SENT%",
    }


def json_access_log(listener: str) -> Config:
    """The access_log entry of the HTTP connection manager of `listener` (its stat prefix)."""
    return {
        "name": "envoy.access_loggers.stdout",
        "typed_config": typed(STDOUT_LOG, log_format={"json_format": access_log_format(listener)}),
    }
