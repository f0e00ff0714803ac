"""A webhook receiver on 127.0.0.1 for the delivery tests: records each request, answers 204
(or what a test tells it to), and notes the sender's port to show connections being reused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # status, headers; then 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)  # the sender's port, per request


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that records each request and answers 204 (or what it is told)."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box[0].received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            box[0].peers.append(self.client_address[1])
            status, headers = box[0].answers.pop(0) if box[0].answers else (204, {})
            self.send_response(status)
            for name, value in {"Content-Length": "0", **headers}.items():
                self.send_header(name, value)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/yaksok"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()
