"""The fan-out bench's receiver: raw ASGI on uvicorn, one process, answers every POST with 204.

It counts webhooks by their ``webhook-id`` (``GET /_count``: received and distinct), keeps the
first one's body and headers (``GET /_sample``) so that wrk can send the same, and forgets all
on ``POST /_reset``. Run as ``python -m yaksok.bench.fanout_receiver PORT``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_NO_CONTENT = {"type": "http.response.start", "status": 204, "headers": [(b"content-length", b"0")]}
_EMPTY = {"type": "http.response.body", "body": b""}


class Receiver:
    def __init__(self) -> None:
        self.received = 0
        self.ids: set[bytes] = set()
        self.sample: dict[str, Any] | None = None

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] == "POST" and not scope["path"].startswith("/_"):
            self.count(scope, body)
            await send(_NO_CONTENT)
            await send(_EMPTY)
            return
        if scope["path"] == "/_reset":
            self.__init__()  # type: ignore[misc]
            answer: object = {}
        elif scope["path"] == "/_sample":
            answer = self.sample
        else:
            answer = {"received": self.received, "distinct": len(self.ids)}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    def count(self, scope: Scope, body: bytes) -> None:
        headers = dict(scope["headers"])
        message_id = headers.get(b"webhook-id")
        if message_id is None:
            return
        self.received += 1
        self.ids.add(message_id)
        if self.sample is None:
            names = (
                b"webhook-id",
                b"webhook-timestamp",
                b"webhook-signature",
                b"content-type",
                b"user-agent",
            )
            self.sample = {
                "path": scope["path"],
                "body": body.decode(),
                "headers": {k.decode(): v.decode() for k, v in headers.items() if k in names},
            }


def main() -> None:
    uvicorn.run(Receiver(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                http="httptools", loop="uvloop", lifespan="off")  # fmt: skip


if __name__ == "__main__":
    main()
