"""Live updates: ``GET /events``, Server-Sent Events with ``Last-Event-ID`` resume.

One hub per process learns of publications (from this process right after their commit; on
PostgreSQL from every process through LISTEN/NOTIFY; and, as a safety net, by polling the store),
encodes each notice's frame once (``channels/sse.py``), keeps recent frames in ledger order, and
wakes every waiting stream through one future per connection (MEASURED.md: raw ASGI, no queue per
connection). Every wake-up reads the store after the last seq it has, so frames go out in ledger
order whichever path brought the news. A stream's cursor is the last ledger seq it has
passed; it never sends a frame at or below it, and a stream further behind than the hub remembers
reads the store first, so a resumed stream has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import logging
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from yaksok.channels import sse
from yaksok.domain.notice import Notice
from yaksok.services.runtime import Runtime
from yaksok.store.live_events import PublicationListener, can_listen
from yaksok.web.errors import problem

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5  # seconds: how soon another process's publications arrive without LISTEN
LISTENING_POLL_INTERVAL = 5.0  # seconds: the poll is only a safety net while LISTEN is healthy
KEEPALIVE_INTERVAL = 15.0  # seconds: a comment line keeps proxies from closing an idle stream
RECENT_FRAMES = 1024  # frames the hub keeps; a stream further behind catches up from the store
PAGE = 500  # notices read from the store at a time

HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx would otherwise hold frames back in its buffer
]


@dataclass(frozen=True, slots=True)
class Frame:
    """One published notice as SSE bytes, encoded once for every stream."""

    seq: int
    launch: str | None
    data: bytes


def encode_frame(seq: int, notice: Notice) -> Frame:
    # Root-relative links: the same frame is right for every host name the process is reached by.
    return Frame(seq, notice.launch_slug, sse.notice_frame(notice, seq, base_url=""))


def published_after(rt: Runtime, seq: int) -> list[Frame]:
    """Frames of the notices published after ``seq``, in ledger order, at most ``PAGE`` (blocking)."""
    with rt.store.read() as tx:
        return [encode_frame(s, notice) for s, notice in tx.notices.published_with_seq(seq, PAGE)]


def ledger_head(rt: Runtime) -> int:
    with rt.store.read() as tx:
        head = tx.ledger.head()
    return 0 if head is None else head.seq


def tune_gc_for_broadcasts() -> None:
    """Call once in a serving process after start-up. MEASURED.md: full garbage collections, not
    the sends, pushed a broadcast to 10,000 streams past a second; frozen objects are skipped."""
    gc.collect()
    gc.freeze()


class LiveHub:
    """Fans published notices out to this process's open ``/events`` streams."""

    def __init__(
        self,
        rt: Runtime,
        *,
        poll_interval: float = POLL_INTERVAL,
        listening_poll_interval: float = LISTENING_POLL_INTERVAL,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
        keep: int = RECENT_FRAMES,
        listen: bool = True,
    ) -> None:
        self.rt = rt
        self.poll_interval = poll_interval
        self.listening_poll_interval = listening_poll_interval
        self.listen = listen  # off: poll even on PostgreSQL (e.g. behind a pooler without LISTEN)
        self.keepalive_interval = keepalive_interval
        self.keep = keep
        # Invariant: every notice published up to base_seq was visible in the store when the hub
        # started or forgot it, and _frames holds every one published in (base_seq, last_seq].
        self.base_seq = 0
        self.last_seq = 0
        self.keepalive_round = 0
        self.closed = False
        self.open_streams = 0
        self._frames: list[Frame] = []
        self._seqs: list[int] = []
        self._waiters: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._news = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.listener: PublicationListener | None = None
        self._listener_task: asyncio.Task[None] | None = None

    @property
    def listening(self) -> bool:
        """Whether other processes' publications arrive by NOTIFY right now (else only by polling)."""
        return self.listener is not None and self.listener.listening

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._news = asyncio.Event()  # bound to this loop: a restarted app may run on another
        self.base_seq = self.last_seq = await asyncio.to_thread(ledger_head, self.rt)
        self.rt.on_publish.append(self._heard)
        self._task = asyncio.create_task(self._follow())
        if self.listen and can_listen(self.rt.store.engine):
            # It wakes the hub once LISTEN holds, so what was published before that is read too.
            self.listener = PublicationListener(self.rt.store.engine)
            self._listener_task = asyncio.create_task(self.listener.run(self._news.set))

    async def stop(self) -> None:
        """Stop following publications and end every open stream."""
        with contextlib.suppress(ValueError):
            self.rt.on_publish.remove(self._heard)
        tasks = [task for task in (self._listener_task, self._task) if task is not None]
        self._listener_task = self._task = None  # stop() runs twice on a signalled shutdown
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.closed = True
        self._wake_streams()

    def _heard(self, _seq: int) -> None:
        # Called in the publishing thread after its commit. The hub reads the store rather than
        # trusting this seq, so that publications from concurrent threads still go out in seq order.
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has already closed: nobody is listening
            self._loop.call_soon_threadsafe(self._news.set)

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        last_keepalive = loop.time()
        while True:
            poll = self.listening_poll_interval if self.listening else self.poll_interval
            until_keepalive = last_keepalive + self.keepalive_interval - loop.time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, min(poll, until_keepalive))):
                    await self._news.wait()
            self._news.clear()  # before reading: news arriving during the read triggers another
            try:
                await self.refresh()
            except Exception:
                log.exception("live updates: reading new publications failed; retrying")
            if loop.time() - last_keepalive >= self.keepalive_interval:
                last_keepalive = loop.time()
                self.keepalive_round += 1
                self._wake_streams()

    async def refresh(self) -> None:
        """Take in whatever was published since the last frame and wake the streams."""
        while True:
            frames = await asyncio.to_thread(published_after, self.rt, self.last_seq)
            self._append(frames)
            if len(frames) < PAGE:
                return

    def _append(self, frames: list[Frame]) -> None:
        # Two overlapping refreshes read the same frames: keep the seq order strict.
        frames = [frame for frame in frames if frame.seq > self.last_seq]
        if not frames:
            return
        self._frames.extend(frames)
        self._seqs.extend(frame.seq for frame in frames)
        self.last_seq = frames[-1].seq
        if len(self._frames) > 2 * self.keep:  # trim in chunks, not on every frame
            drop = len(self._frames) - self.keep
            self.base_seq = self._seqs[drop - 1]
            del self._frames[:drop], self._seqs[:drop]
        self._wake_streams()

    def frames_after(self, seq: int) -> list[Frame]:
        return self._frames[bisect.bisect_right(self._seqs, seq) :]

    def waiter(self) -> asyncio.Future[None]:
        """A future the hub resolves at the next frame, keep-alive round or stop."""
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        self._waiters.add(future)
        return future

    def forget(self, future: asyncio.Future[None]) -> None:
        self._waiters.discard(future)

    def _wake_streams(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for future in waiters:
            if not future.done():
                future.set_result(None)


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
