"""Baseline: a bare raw-ASGI SSE broadcaster on uvicorn, with no database and no scheduler.

``python -m yaksok.bench.bare_sse PORT`` serves ``GET /events`` and ``POST /plan``. A plan,
``{"at": [UNIX seconds, ...], "size": BYTES}``, makes it broadcast frame i at instant i: a frame
of ``size`` bytes shaped like yaksok's (``id:``, ``event: notice``, ``data:`` whose first field
is the notice id), encoded once and sent to every stream woken through one future per connection,
the fastest design MEASURED.md found. Its delivery latency is what yaksok's is compared with.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import sys

import msgspec
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from yaksok.bench.bare_timer import call_at_instant

RETRY = b"retry: 3000\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class Plan(msgspec.Struct):
    at: list[float]
    size: int


def notice_id(index: int) -> str:
    return f"b_{index:06d}"


def frame(index: int, size: int) -> bytes:
    head = b'id: %d\nevent: notice\ndata: {"id":"%s","seq":%d,"pad":"' % (
        index,
        notice_id(index).encode(),
        index,
    )
    tail = b'"}\n\n'
    return head + b"x" * max(size - len(head) - len(tail), 0) + tail


class Broadcaster:
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.waiters: set[asyncio.Future[None]] = set()

    def plan(self, plan: Plan) -> None:
        for index, at in enumerate(plan.at, 1):
            call_at_instant(at, functools.partial(self.publish, frame(index, plan.size)))

    def publish(self, data: bytes) -> None:
        self.frames.append(data)
        waiters, self.waiters = self.waiters, set()
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def waiter(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.add(future)
        return future


class Stream:
    """One ``/events`` response: sends what is new, then waits for the next broadcast."""

    def __init__(self, broadcaster: Broadcaster, send: Send) -> None:
        self.broadcaster = broadcaster
        self.send = send
        self.cursor = len(broadcaster.frames)
        self.gone = False
        self.waiting: asyncio.Future[None] | None = None

    def client_left(self, _listener: object) -> None:
        self.gone = True
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_result(None)

    async def run(self) -> None:
        await self.send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await self._write(RETRY)
        frames = self.broadcaster.frames
        while not self.gone:
            if self.cursor < len(frames):
                new, self.cursor = frames[self.cursor :], len(frames)
                await self._write(new[0] if len(new) == 1 else b"".join(new))
            else:
                self.waiting = self.broadcaster.waiter()
                await self.waiting
                self.broadcaster.waiters.discard(self.waiting)

    async def _write(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message: Message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class App:
    def __init__(self) -> None:
        self.broadcaster = Broadcaster()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/events":
            await self._events(receive, send)
            return
        status = 200
        if scope["path"] == "/plan" and scope["method"] == "POST":
            self.broadcaster.plan(msgspec.json.decode(await _body(receive), type=Plan))
            status = 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def _events(self, receive: Receive, send: Send) -> None:
        stream = Stream(self.broadcaster, send)
        listener = asyncio.create_task(_until_disconnect(receive))
        listener.add_done_callback(stream.client_left)
        try:
            await stream.run()
        except OSError:
            pass  # the client left mid-send
        finally:
            listener.cancel()


def main(argv: list[str]) -> None:
    # The same server settings, and the same garbage-collector tuning, as yaksok serve.
    config = uvicorn.Config(
        App(),
        host="127.0.0.1",
        port=int(argv[0]),
        log_level="info",
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(sys.argv[1:])
