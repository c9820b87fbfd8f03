"""The lifecycle every fake shares: a threaded HTTP server on 127.0.0.1, started and stopped
with the fake (``with Fake() as fake:``), its handler class bound to the fake's state."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


class LoopbackServer:
    """Base class of the fakes: subclasses set ``handler`` (a request handler class that
    reaches the fake's state through its ``fake`` attribute)."""

    handler: type[BaseHTTPRequestHandler]
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        handler = type("Handler", (self.handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass(frozen=True)
class Incoming:
    """One request as a fake reads it: path, first value of each query parameter, headers
    with lower-case names, and the body as text."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: str


class JsonApiHandler(BaseHTTPRequestHandler):
    """A quiet handler for the JSON APIs the Google fakes serve: GET and POST go to ``serve``
    with the request read; ``send_json`` answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        self.serve(self._read("GET"))

    def do_POST(self) -> None:
        self.serve(self._read("POST"))

    def serve(self, request: Incoming) -> None:
        raise NotImplementedError

    def _read(self, method: str) -> Incoming:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        return Incoming(
            method=method,
            path=parts.path,
            query={k: v[0] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=self.rfile.read(length).decode() if length else "",
        )

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
