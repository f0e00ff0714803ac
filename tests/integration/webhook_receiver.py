"""A webhook receiver on 127.0.0.1 for the delivery tests: records each request, answers 204
(or what a test tells it to), and notes the sender's port to show connections being reused.
Every body it got is checked, when it stops, against the JSON Schema of its event type (the
ones served at /static/schemas/ and kept in docs/schemas/), with ``jsonschema``."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from http_servers import QuietHandler, serving
from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@functools.cache
def validator(event_type: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{event_type}.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def validate_event(body: bytes) -> dict[str, Any]:
    """The event in ``body``, once it matches the schema of its ``type`` (ValidationError if not)."""
    event: dict[str, Any] = json.loads(body)
    assert (SCHEMAS / f"{event['type']}.json").exists(), f"no schema for {event['type']!r}"
    validator(event["type"]).validate(event)
    return event


@dataclass
class Receiver:
    url: str
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # status, headers; then 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)  # the sender's port, per request
    bodies: list[bytes] = field(default_factory=list)  # every body, kept when a test clears received


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that records each request and answers 204 (or what it is told)."""
    box: list[Receiver] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            box[0].received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            box[0].bodies.append(body)
            box[0].peers.append(self.client_address[1])
            status, headers = box[0].answers.pop(0) if box[0].answers else (204, {})
            self.send_response(status)
            for name, value in {"Content-Length": "0", **headers}.items():
                self.send_header(name, value)
            self.end_headers()

    with serving(Handler) as url:
        box.append(Receiver(f"{url}/hooks/yaksok"))
        yield box[0]
    for body in box[0].bodies:
        validate_event(body)
