"""The live hub: one per process, it learns of publications, keeps their frames in ledger order
and wakes the ``/events`` streams (``web/live.py``) through one future per connection,
``WAKE_BATCH`` of them per turn of the event loop so that a broadcast to thousands of streams
never holds the loop (and the scheduler and page requests with it) for its whole length.

News comes three ways: from this process right after each publication's commit
(``rt.on_publish``); on PostgreSQL from every process through LISTEN/NOTIFY; and, as a safety net,
by polling the store. Each notice's frame is encoded once (``channels/sse.py``). An official
answer to a customer's question is a frame too, at its ledger entry's seq: it always comes from the
store, the hub woken after its commit (``rt.on_answer``) or by NOTIFY, and a notice's predecessor
seq counts answers as well, so the order below holds for both.

Invariant: the hub holds the frame of every notice published in ``(base_seq, last_seq]``, in seq
order, and every notice up to ``base_seq`` was visible in the store when the hub started or forgot
it. Two ways extend it:

- Directly: a publication in this process comes with its frame (encoded in the publishing thread)
  and the seq of the notice published just before it, read under the ledger lock. When that
  predecessor is at or below ``last_seq`` no notice can be missing in between, so the frame is
  appended at once, with no store read. A frame whose predecessor has not arrived yet (a slower
  thread's callback, another process's notice) waits for it.
- From the store, after ``last_seq``, for every other piece of news. The ledger lock orders the
  commits, so a read returns every notice published after its starting point, in seq order and
  without gaps: keeping only frames above ``last_seq`` never repeats or reorders a frame, whichever
  path brought it first.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import logging
from dataclasses import dataclass

from yaksok.channels import sse
from yaksok.domain.notice import Notice
from yaksok.services import live
from yaksok.services.live import PublicationListener
from yaksok.services.runtime import Runtime

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.5  # seconds: how soon another process's publications arrive without LISTEN
LISTENING_POLL_INTERVAL = 5.0  # seconds: the poll is only a safety net while LISTEN is healthy
KEEPALIVE_INTERVAL = 15.0  # seconds: a comment line keeps proxies from closing an idle stream
RECENT_FRAMES = 1024  # frames the hub keeps; a stream further behind catches up from the store
PAGE = 500  # notices read from the store at a time
WAKE_BATCH = 500  # streams woken per turn of the event loop (~12 ms of it at ~25 µs a stream)


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
    """Frames of the notices published and the official answers given after ``seq``, in ledger
    order, at most ``PAGE`` (blocking). Each list is complete up to its last seq, so the first
    ``PAGE`` of the two merged are too."""
    notices = [encode_frame(s, notice) for s, notice in live.published_after(rt, seq, PAGE)]
    answers = [encode_answer(s, answer) for s, answer in live.answered_after(rt, seq, PAGE)]
    if not answers:
        return notices
    return sorted(notices + answers, key=lambda frame: frame.seq)[:PAGE]


def encode_answer(seq: int, answer: live.LiveAnswer) -> Frame:
    data = sse.answer_frame(
        seq, question=answer.question, launch=answer.launch, notice=answer.notice, text=answer.text,
        at=answer.answered_at, url=answer.url,
    )  # fmt: skip
    return Frame(seq, answer.launch, data)


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
        self.base_seq = 0  # see the invariant in the module docstring
        self.last_seq = 0
        self.keepalive_round = 0
        self.closed = False
        self.open_streams = 0
        self._frames: list[Frame] = []
        self._seqs: list[int] = []
        # Frames heard before their predecessor, by seq, with that predecessor's seq.
        self._early: dict[int, tuple[int, Frame]] = {}
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
        self.base_seq = self.last_seq = await asyncio.to_thread(live.ledger_head_seq, self.rt)
        self.rt.on_publish.append(self._heard)
        self.rt.on_answer.append(self._answered)
        self._news.set()  # what committed between reading the head and listening was heard by nobody
        self._task = asyncio.create_task(self._follow())
        self.listener = live.publication_listener(self.rt) if self.listen else None
        if self.listener is not None:
            # It wakes the hub once LISTEN holds, so what was published before that is read too.
            self._listener_task = asyncio.create_task(self.listener.run(self._news.set))

    async def stop(self) -> None:
        """Stop following publications and end every open stream."""
        with contextlib.suppress(ValueError):
            self.rt.on_publish.remove(self._heard)
        with contextlib.suppress(ValueError):
            self.rt.on_answer.remove(self._answered)
        tasks = [task for task in (self._listener_task, self._task) if task is not None]
        self._listener_task = self._task = None  # stop() runs twice on a signalled shutdown
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.closed = True
        self._wake_streams()

    def _heard(self, seq: int, previous_seq: int | None, notice: Notice) -> None:
        # Called in the publishing thread right after its commit; threads publishing at the same
        # time may call it out of seq order, which _take sorts out on the loop. Encoding here
        # keeps that work off the event loop.
        assert self._loop is not None
        frame: Frame | None
        try:
            frame = encode_frame(seq, notice)
        except Exception:  # the notice has committed: its use case must not fail because of the hub
            log.exception("live updates: encoding notice %s failed; reading the store instead", notice.id)
            frame = None
        with contextlib.suppress(RuntimeError):  # the loop has already closed: nobody is listening
            self._loop.call_soon_threadsafe(self._take, seq, previous_seq or 0, frame)

    def _answered(self) -> None:
        # An official answer committed in this process: read it from the store, in ledger order.
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has already closed: nobody is listening
            self._loop.call_soon_threadsafe(self._news.set)

    def _take(self, seq: int, previous_seq: int, frame: Frame | None) -> None:
        """On the loop: notice ``seq`` was published in this process, right after ``previous_seq``."""
        if seq <= self.last_seq:
            return  # a store read brought it first
        if frame is not None and previous_seq <= self.last_seq:
            # Nothing was published in (previous_seq, seq) and the hub holds everything up to
            # last_seq: this is the next frame.
            self._append([frame])
            return
        if frame is not None:
            self._early[seq] = (previous_seq, frame)  # for when its predecessor arrives
        # The predecessor may come from another process or not through this path at all.
        self._news.set()

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
        # Each path brings frames in seq order without gaps, but overlapping store reads, or a read
        # and a frame heard directly, may bring some twice: keep the seq order strict.
        frames = [frame for frame in frames if frame.seq > self.last_seq]
        if not frames:
            return
        self.last_seq = frames[-1].seq
        if self._early:
            frames += self._now_next()
        self._frames.extend(frames)
        self._seqs.extend(frame.seq for frame in frames)
        if len(self._frames) > 2 * self.keep:  # trim in chunks, not on every frame
            drop = len(self._frames) - self.keep
            self.base_seq = self._seqs[drop - 1]
            del self._frames[:drop], self._seqs[:drop]
        self._wake_streams()

    def _now_next(self) -> list[Frame]:
        """Early frames whose predecessors have all arrived, in order (moving ``last_seq``); drops
        those a store read brought meanwhile."""
        ready: list[Frame] = []
        for seq in sorted(self._early):
            previous_seq, frame = self._early[seq]
            if previous_seq > self.last_seq:
                break  # its predecessor is still missing, and so is every later frame's
            del self._early[seq]
            if seq > self.last_seq:
                ready.append(frame)
                self.last_seq = seq
        return ready

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
        self._wake(list(waiters), 0)

    def _wake(self, waiters: list[asyncio.Future[None]], start: int) -> None:
        end = start + WAKE_BATCH
        for future in waiters[start:end]:
            if not future.done():
                future.set_result(None)
        if end < len(waiters):
            # The rest on the next turn of the loop, after its timers and sockets. Woken at once,
            # thousands of streams hold the loop for the whole broadcast (~25 µs each), and the
            # scheduler's timer, page requests and the next publication all wait for its end.
            assert self._loop is not None
            self._loop.call_soon(self._wake, waiters, end)
