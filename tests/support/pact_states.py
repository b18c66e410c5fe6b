"""A provider-state endpoint for pact verifications whose states create values the consumer
cannot know (ids the provider chooses): pact calls it for each state and injects the values it
answers into the request (provider-state generators). A function state handler cannot answer
with values; this one answers `setup(state, params)` as JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Setup = Callable[[str, dict[str, Any]], dict[str, str]]


@contextmanager
def state_server(setup: Setup) -> Iterator[str]:
    """The URL to pass to `Verifier.state_handler(url, teardown=False, body=True)`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            values: dict[str, str] = {}
            if request.get("action") == "setup":
                values = setup(request["state"], request.get("params") or {})
            body = json.dumps(values).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # quiet: pytest shows failures
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/provider-states"
    finally:
        server.shutdown()
        thread.join()
