"""x-envoy-* request headers are Envoy's own: none that arrives with a request is believed.

Envoy reads some of them as instructions (x-envoy-retry-on, x-envoy-upstream-rq-timeout-ms,
x-envoy-max-retries ...) and forwards the rest. Without an internal_address_config no caller is
internal (Envoy >= 1.36), yet Envoy 1.40 strips only the instructions then: measured, a client's
x-envoy-attempt-count, x-envoy-original-dst-host, x-envoy-peer-metadata-id,
x-envoy-decorator-operation (at a sidecar), x-envoy-external-address (at a sidecar) and any other
x-envoy-* name reached the app. So every HTTP connection manager of the mesh drops them all with
an early header mutation: it runs as soon as the headers are read, before Envoy adds its own,
before routing and before any filter. What an Envoy adds itself afterwards
(x-envoy-external-address at the edge, x-envoy-expected-rq-timeout-ms, x-envoy-attempt-count on
a retry) still goes upstream: the next hop drops those too, so an app never sees one."""

from __future__ import annotations

from mesh.envoy.common import Config, typed

ENVOY_HEADER_PREFIX = "x-envoy-"
EARLY_HEADER_MUTATION = "envoy.http.early_header_mutation.header_mutation"
EARLY_HEADER_MUTATION_CONFIG = (
    "envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation"
)


def drop_envoy_request_headers() -> Config:
    """An `early_header_mutation_extensions` entry removing every x-envoy-* request header."""
    # Header names are lower case once parsed; ignore_case all the same costs nothing.
    prefix = {"prefix": ENVOY_HEADER_PREFIX, "ignore_case": True}
    return {
        "name": EARLY_HEADER_MUTATION,
        "typed_config": typed(
            EARLY_HEADER_MUTATION_CONFIG,
            mutations=[{"remove_on_match": {"key_matcher": prefix}}],
        ),
    }
