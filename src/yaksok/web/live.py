"""Live updates: ``GET /events``, Server-Sent Events with ``Last-Event-ID`` resume.

One hub per process (``live_hub.py``) learns of publications, keeps recent frames in ledger order
and wakes every waiting stream through one future per connection (MEASURED.md: raw ASGI, no queue
per connection). A stream's cursor is the last ledger seq it has passed; it never sends a frame at
or below it, and a stream further behind than the hub remembers reads the store first, so a
resumed stream has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from yaksok.channels import sse
from yaksok.web.errors import problem
from yaksok.web.live_hub import PAGE, Frame, LiveHub, published_after, tune_gc_for_broadcasts

__all__ = ["Frame", "LiveHub", "events", "published_after", "routes", "tune_gc_for_broadcasts"]

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx would otherwise hold frames back in its buffer
]


class EventStream:
    """One open ``/events`` response."""

    def __init__(self, hub: LiveHub, send: Send, cursor: int, launch: str | None) -> None:
        self.hub = hub
        self.send = send
        self.cursor = cursor
        self.launch = launch
        self.gone = False
        self._waiter: asyncio.Future[None] | None = None

    def client_left(self, _listener: object = None) -> None:
        self.gone = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def run(self) -> None:
        hub = self.hub
        await self.send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await self._write(sse.RETRY)
        keepalive_round = hub.keepalive_round
        while not (self.gone or hub.closed):
            if self.cursor < hub.base_seq:
                await self._catch_up()
            elif frames := hub.frames_after(self.cursor):
                self.cursor = frames[-1].seq
                await self._write_frames(frames)
            elif keepalive_round != hub.keepalive_round:
                keepalive_round = hub.keepalive_round
                await self._write(sse.KEEPALIVE)
            else:
                await self._wait()
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _catch_up(self) -> None:
        """Send what the hub does not remember, straight from the store."""
        known = self.hub.last_seq  # everything published up to here was visible before this read
        frames = await asyncio.to_thread(published_after, self.hub.rt, self.cursor)
        if frames:
            self.cursor = frames[-1].seq
            await self._write_frames(frames)
        if len(frames) < PAGE:
            # The read saw everything published by then; what follows reaches the hub in order.
            self.cursor = max(self.cursor, known)

    async def _wait(self) -> None:
        self._waiter = self.hub.waiter()
        try:
            await self._waiter
        finally:
            self.hub.forget(self._waiter)
            self._waiter = None

    async def _write_frames(self, frames: list[Frame]) -> None:
        if self.launch is not None:
            frames = [frame for frame in frames if frame.launch == self.launch]
        if frames:
            await self._write(frames[0].data if len(frames) == 1 else b"".join(f.data for f in frames))

    async def _write(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})


def _start_position(scope: Scope, hub: LiveHub) -> tuple[int, str | None]:
    """Where a stream starts and which launch it follows; ValueError on a bad Last-Event-ID."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    headers = dict(scope["headers"])
    # The header wins: a browser reconnecting sends its latest id, while the URL keeps the first one.
    raw = headers.get(b"last-event-id", b"").decode("latin-1") or query.get("last_event_id", [""])[0]
    launch = query.get("launch", [None])[0] or None
    if not raw:
        return hub.last_seq, launch
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(raw)
    return int(raw), launch


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def events(scope: Scope, receive: Receive, send: Send) -> None:
    """``GET /events``: published notices as Server-Sent Events."""
    hub: LiveHub = scope["app"].state.hub
    try:
        cursor, launch = _start_position(scope, hub)
    except ValueError as exc:
        detail = f"Last-Event-ID must be a ledger seq (a whole number), not {exc.args[0]!r}"
        await problem(400, "events.bad_last_event_id", detail)(scope, receive, send)
        return
    if scope["method"] == "HEAD":
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b""})
        return
    stream = EventStream(hub, send, cursor, launch)
    listener = asyncio.create_task(_until_disconnect(receive))
    listener.add_done_callback(stream.client_left)
    hub.open_streams += 1
    try:
        await stream.run()
    except OSError:
        pass  # the client left mid-send: ASGI lets a server raise on a closed connection
    finally:
        hub.open_streams -= 1
        listener.cancel()


class _EventsApp:
    # A class instance, not a function, so that Starlette's Route passes the raw ASGI call through.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await events(scope, receive, send)


def routes() -> list[BaseRoute]:
    return [Route("/events", _EventsApp(), methods=["GET"])]
