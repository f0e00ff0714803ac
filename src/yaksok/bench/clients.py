"""Lean HTTP clients for the benches: one-shot requests, and many SSE listeners in one process.

MEASURED.md: the client's own cost decides what a fan-out bench can see, so a listener is a bare
asyncio Protocol that stamps when bytes arrive and picks each frame's notice id out with one
regular expression; it decodes no JSON and keeps no per-frame objects beyond the stamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import Callable
from typing import cast

from yaksok.bench.processes import BenchError

CONNECT_BATCH = 250  # connections opened at once: more would overflow the server's accept backlog
TIMEOUT = 30.0  # seconds for one request, or for one batch of listeners to be streaming

# The notice id is the first "id" of the frame's data line (JSON escapes quotes inside strings).
NOTICE_ID = re.compile(rb'\ndata: [^\n]*?"id": ?"([^"]+)"')


class Tally:
    """Counts first arrivals of the expected notices over all listeners; ``complete`` is set
    when every listener has heard every one."""

    def __init__(self) -> None:
        self.expected: frozenset[bytes] = frozenset()
        self.target = 0
        self.count = 0
        self.complete = asyncio.Event()

    def expect(self, notice_ids: list[str], listeners: int) -> None:
        self.expected = frozenset(notice_id.encode() for notice_id in notice_ids)
        self.target = len(self.expected) * listeners

    def heard(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.complete.set()


class SseListener(asyncio.Protocol):
    """One ``text/event-stream`` connection; ``arrivals`` holds (notice id, UNIX time) per frame."""

    def __init__(self, request: bytes, tally: Tally, *, keep_frames: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self.request = request
        self.tally = tally
        self.arrivals: list[tuple[bytes, float]] = []
        self.frames: list[bytes] | None = [] if keep_frames else None
        self.ready: asyncio.Future[None] = loop.create_future()  # the stream has begun (retry: seen)
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._seen: set[bytes] = set()
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not its subclasses
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buffer = self._pending + data
        end = buffer.rfind(b"\n\n")  # only whole events: a frame split over two reads counts once
        if end < 0:
            self._pending = buffer
            return
        self._pending = buffer[end + 2 :]
        if not self.ready.done():
            self._begin(buffer)
        for match in NOTICE_ID.finditer(buffer, 0, end + 1):
            notice_id = match[1]
            self.arrivals.append((notice_id, now))
            if notice_id in self.tally.expected and notice_id not in self._seen:
                self._seen.add(notice_id)
                self.tally.heard()
        if self.frames is not None:
            self.frames.append(buffer[: end + 2])

    def _begin(self, head: bytes) -> None:
        if head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            self.ready.set_result(None)
        else:
            status = head.split(b"\r\n", 1)[0].decode(errors="replace")
            self.ready.set_exception(BenchError(f"the event stream answered {status!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(BenchError(f"the event stream closed before it began ({exc})"))
        if not self.closed.done():
            self.closed.set_result(None)


def frame_sizes(listener: SseListener) -> list[int]:
    """Bytes of each notice frame a ``keep_frames`` listener received (from ``id:`` to its end)."""
    sizes = []
    for chunk in listener.frames or []:
        for event in chunk.split(b"\n\n"):
            start = event.find(b"id: ")
            if start >= 0 and b"\ndata: " in event:
                sizes.append(len(event) - start + 2)
    return sizes


async def connect_listeners(host: str, port: int, path: str, count: int, tally: Tally) -> list[SseListener]:
    """``count`` listeners, each streaming ``path``; returns once every stream has begun."""
    loop = asyncio.get_running_loop()
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    listeners: list[SseListener] = []
    try:
        for start in range(0, count, CONNECT_BATCH):
            size = min(CONNECT_BATCH, count - start)
            made = await asyncio.gather(
                *(
                    loop.create_connection(
                        functools.partial(SseListener, request, tally, keep_frames=start + i == 0), host, port
                    )
                    for i in range(size)
                ),
                return_exceptions=True,
            )
            listeners.extend(result[1] for result in made if not isinstance(result, BaseException))
            if failed := [result for result in made if isinstance(result, BaseException)]:
                raise BenchError(f"{len(failed)} of {size} connections failed: {failed[0]}")
            await _streaming(listeners[start:])
    except BaseException:
        await close_listeners(listeners)
        raise
    return listeners


async def _streaming(listeners: list[SseListener]) -> None:
    try:
        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*(listener.ready for listener in listeners))
    except TimeoutError:
        raise BenchError(f"event streams did not begin within {TIMEOUT:.0f} s") from None


async def close_listeners(listeners: list[SseListener]) -> None:
    for listener in listeners:
        if listener.transport is not None:
            listener.transport.close()
        if not listener.ready.done():
            listener.ready.cancel()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*(listener.closed for listener in listeners if listener.transport))


async def http_request(
    host: str, port: int, path: str, *, method: str = "GET", body: bytes = b"", timeout: float = TIMEOUT
) -> tuple[int, bytes]:
    """One request on its own connection (``Connection: close``): the status and the raw body."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head.encode() + b"\r\n" + body)
            raw = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    status_line, _, rest = raw.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise BenchError(f"{method} {path}: not an HTTP response ({status_line[:40]!r})")
    return int(parts[1]), rest.partition(b"\r\n\r\n")[2]


async def wait_until_serving(
    host: str, port: int, path: str, alive: Callable[[], bool], seconds: float
) -> None:
    """Poll ``path`` until it answers below 500; BenchError if the server exits or stays silent."""
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(OSError, BenchError):
            status, _ = await http_request(host, port, path)
            if status < 500:
                return
        if not alive():
            raise BenchError("the server exited while starting")
        if time.monotonic() > deadline:
            raise BenchError(f"the server did not answer on port {port} within {seconds:.0f} s")
        await asyncio.sleep(0.05)
