"""Social networks on 127.0.0.1 for the social transports' tests: each implements the documented
request shapes and REJECTS what the real service rejects (a post too long by that network's own
counting, an unknown reply id, a reused Idempotency-Key with another body, bad credentials, a
rate limit spent), so a transport that breaks a rule fails its test. They count independently of
``channels.thread``: graphemes with the ``regex`` module's ``\\X`` and their own URL rule."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import regex

Answer = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, headers
_URL = regex.compile(r"https?://\S+")


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Server:
    """Records every request; ``handle`` answers it (under one lock: requests are served in turn)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Answer:
        raise NotImplementedError


@contextmanager
def running(server: Server) -> Iterator[Server]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with server.lock:
                server.requests.append(request)
                status, answer, headers = server.handle(request)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: object) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{http.server_address[1]}"
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        http.shutdown()
        http.server_close()


@dataclass
class Status:
    id: str
    text: str
    in_reply_to_id: str | None
    language: str


@dataclass
class Mastodon(Server):
    """``GET /api/v2/instance`` and ``POST /api/v1/statuses`` as Mastodon answers them."""

    token: str = "mastodon-token"
    max_characters: int = 500
    per_url: int = 23
    remaining: int = 300  # posts left in this rate-limit window (300 per 3 hours)
    reset: datetime = field(default_factory=lambda: datetime(2010, 10, 28, 3, tzinfo=UTC))
    statuses: dict[str, Status] = field(default_factory=dict)
    keys: dict[str, tuple[Any, str]] = field(default_factory=dict)  # Idempotency-Key: body, status id

    def __post_init__(self) -> None:
        Server.__init__(self)

    def count(self, text: str) -> int:
        return graphemes(_URL.sub("x" * self.per_url, text))

    def handle(self, request: Request) -> Answer:
        if request.method == "GET" and request.path == "/api/v2/instance":
            statuses = {"max_characters": self.max_characters, "characters_reserved_per_url": self.per_url}
            return 200, {"domain": "127.0.0.1", "configuration": {"statuses": statuses}}, {}
        if request.method != "POST" or request.path != "/api/v1/statuses":
            return 404, {"error": "Record not found"}, {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}, {}
        limits = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": self.reset.isoformat().replace("+00:00", "Z"),
        }
        key = request.headers.get("idempotency-key")
        if not key:  # stricter than Mastodon: yaksok must send one on every post
            return 422, {"error": "Idempotency-Key missing"}, limits
        if key in self.keys:
            body, status_id = self.keys[key]
            if body != request.body:
                return 422, {"error": "Idempotency-Key reused with another body"}, limits
            return 200, self.view(self.statuses[status_id]), limits
        if self.remaining <= 0:
            return 429, {"error": "Too many requests"}, limits
        body = request.body
        text = body.get("status", "")
        if not text or self.count(text) > self.max_characters:
            return (
                422,
                {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"},
                limits,
            )
        reply = body.get("in_reply_to_id")
        if reply is not None and reply not in self.statuses:
            return 404, {"error": "Record not found"}, limits
        self.remaining -= 1
        limits["X-RateLimit-Remaining"] = str(self.remaining)
        status = Status(str(100 + len(self.statuses)), text, reply, body.get("language", ""))
        self.statuses[status.id] = status
        self.keys[key] = (body, status.id)
        return 200, self.view(status), limits

    def view(self, status: Status) -> dict[str, Any]:
        return {
            "id": status.id,
            "url": f"{self.url}/@yaksok/{status.id}",
            "content": status.text,
            "in_reply_to_id": status.in_reply_to_id,
        }

    def posted(self) -> list[Status]:
        return list(self.statuses.values())


def serve(make: Callable[[], Server]) -> Iterator[Server]:
    with running(make()) as server:
        yield server
