"""The reservation writer process: group commit off the serving process's GIL.

``yaksok serve`` starts it (``started``) with one end of a socket pair; the serving process sends
each request it has read and checked (``ProcessWriter.submit``), the writer takes everything that
has arrived as one batch, decides it with ``services.reservations.reserve_batch`` (the same door
as every other caller) in one transaction, and sends back each request's HTTP reply once that
transaction is on disk. The transaction commits without waiting for the disk; then everything
committed so far is flushed and the replies go out. Where a flush takes longer than deciding a
batch, a flusher thread (``Flusher``) flushes while this thread decides and commits the next batch;
where it is quicker, this thread flushes itself (``Pace``; docs/operations.md, "The reservation
writer").

Frames on the socket are a 4-byte big-endian length and msgpack: requests ``[first ticket,
[Reserve, ...]]`` (tickets numbered on from the first), replies ``[[first ticket, [[status,
headers, body], ...]], ...]``; an empty array from the writer asks for its next batch (the first
one also says it is ready), and the serving process sends what it has queued only then. The
writer exits when the serving process closes its end (or dies), so ``kill -9`` of the server
never leaves a writer behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgspec

from yaksok.domain.commands import Reserve
from yaksok.services import databases, reservations
from yaksok.services.runtime import Runtime
from yaksok.web.errors import INTERNAL, problem
from yaksok.web.group_commit import MAX_BATCH, Reply
from yaksok.web.live_hub import tune_gc_for_broadcasts
from yaksok.web.reserve import decided

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 0.05  # seconds
Numbered = tuple[int, list[Any]]  # the first ticket, and requests or replies numbered on from it
_encode = msgspec.msgpack.Encoder().encode
_decode_requests = msgspec.msgpack.Decoder(tuple[int, list[Reserve]]).decode
_decode_replies = msgspec.msgpack.Decoder(list[tuple[int, list[Reply]]]).decode


_EMPTY = _encode([])


def _frame(items: object) -> bytes:
    payload = _encode(items)
    return len(payload).to_bytes(4, "big") + payload


_ASK = _frame([])  # the writer's request for its next batch


def _frames(buffer: bytearray) -> Iterator[bytes]:
    """Take every complete frame off the front of ``buffer``."""
    start = 0
    while len(buffer) - start >= 4:
        end = start + 4 + int.from_bytes(buffer[start : start + 4], "big")
        if end > len(buffer):
            break
        yield bytes(buffer[start + 4 : end])
        start = end
    del buffer[:start]


class ProcessWriter(asyncio.Protocol):
    """The serving process's end: a reply future per request, tickets to match them."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._transport: asyncio.Transport | None = None
        self._waiting: dict[int, asyncio.Future[Reply]] = {}
        self._queued: list[Reserve] = []
        self._ticket = 0  # the last one given; the queued requests have the ones just before it
        self._buffer = bytearray()
        self._ready: asyncio.Future[None] | None = None
        self._stopping = False
        self._credit = False  # the writer has asked for its next batch (an empty frame)

    async def start(self) -> None:
        """Connect, and wait until the writer has opened the database (its first, empty frame)."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        self._transport, _ = await loop.create_unix_connection(lambda: self, sock=self._sock)
        await self._ready

    async def stop(self) -> None:
        self._stopping = True
        if self._transport is not None:
            self._transport.close()

    async def submit(self, command: Reserve) -> Reply:
        loop = asyncio.get_running_loop()
        self._ticket += 1
        future: asyncio.Future[Reply] = loop.create_future()
        self._waiting[self._ticket] = future
        if not self._queued:  # everything read in this turn of the loop goes in one write
            loop.call_soon(self._flush)
        self._queued.append(command)
        return await future

    def _flush(self) -> None:
        """Send what is queued as one frame, once the writer has asked for its next batch: while
        it decides one, the requests wait here, so each batch costs one write, not one per turn."""
        if not self._queued:
            return
        first = self._ticket - len(self._queued) + 1
        if self._transport is None or self._transport.is_closing():
            self._fail(list(range(first, first + len(self._queued))))
            self._queued = []
            return
        if not self._credit:
            return  # the writer's next empty frame sends them
        queued, self._queued = self._queued, []
        self._credit = False
        self._transport.write(_frame((first, queued)))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        for frame in _frames(self._buffer):
            if self._ready is not None and not self._ready.done():
                self._ready.set_result(None)
            if frame == _EMPTY:  # the writer asks for its next batch
                self._credit = True
                self._flush()
                continue
            for first, replies in _decode_replies(frame):
                for ticket, reply in enumerate(replies, first):
                    future = self._waiting.pop(ticket, None)
                    if future is not None and not future.done():
                        future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(RuntimeError("the reservation writer stopped before it was ready"))
        if self._waiting:
            log.error("the reservation writer has gone; %d requests are answered 500", len(self._waiting))
        self._fail(list(self._waiting))
        if not self._stopping:  # a server that cannot take reservations stops, to be restarted whole
            log.error("the reservation writer has gone: stopping this server")
            os.kill(os.getpid(), signal.SIGTERM)

    def _fail(self, tickets: list[int]) -> None:
        for ticket in tickets:
            future = self._waiting.pop(ticket, None)
            if future is not None and not future.done():
                future.set_result(_INTERNAL_REPLY)


def _internal() -> Reply:
    answer = problem(
        INTERNAL.status, INTERNAL.text, "the reservation could not be committed; retry with the same key"
    )
    return answer.status_code, answer.raw_headers, bytes(answer.body)


_INTERNAL_REPLY = _internal()


@contextlib.contextmanager
def started(url: str, *, commit_delay_ms: float = 0.0) -> Iterator[ProcessWriter]:
    """A writer process on the database at ``url`` for as long as the block runs."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    args = [
        sys.executable,
        "-m",
        "yaksok.web.reservation_writer",
        url,
        str(theirs.fileno()),
        str(commit_delay_ms),
    ]
    process = subprocess.Popen(args, pass_fds=[theirs.fileno()])
    theirs.close()
    try:
        yield ProcessWriter(ours)
    finally:
        ours.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(rt: Runtime, sock: socket.socket, commit_delay: float) -> None:
    """Decide batches until the serving process closes its end.

    This thread decides and commits each batch without waiting for the disk (``flushed=False``).
    On a disk slower to flush than a batch is to decide, it hands the replies to the flusher,
    which flushes everything committed so far and only then sends them, while the next batch is
    decided and committed. On a quicker one it flushes and sends them itself, with its request for
    the next batch in the same write: the hand-over costs more there than the overlap saves."""
    stop = threading.Event()
    statistics = Statistics()
    upkeep = threading.Thread(target=_upkeep, args=(rt, stop, statistics), name="upkeep", daemon=True)
    upkeep.start()
    pace = Pace()
    flusher = Flusher(rt, sock, commit_delay, pace)
    terms = reservations.Terms()  # the launches' terms, read again whenever the ledger moves
    flusher.send(_ASK)  # ready, and asking for the first batch
    buffer = bytearray()
    try:
        while (arrived := _next_batch(sock, buffer)) is not None:
            beside = pace.flush_beside()
            committed: list[Numbered] = []
            for first, requests in arrived:
                statistics.count(len(requests))
                for start in range(0, len(requests), MAX_BATCH):
                    began = time.perf_counter()
                    replies = (first + start, _replies(rt, requests[start : start + MAX_BATCH], terms))
                    pace.decided(time.perf_counter() - began)
                    if beside:
                        flusher.hand(replies)
                    else:
                        committed.append(replies)
            try:
                if committed:
                    flusher.flush_and_send(committed)  # and the next batch, please
                else:
                    flusher.send(_ASK)  # committed: the next batch, please
            except OSError:  # the serving process has gone
                break
    finally:
        flusher.close()
        stop.set()
        upkeep.join()


_EASING = 0.2  # how much one batch moves ``Pace``'s averages


class Pace:
    """How long deciding and committing a batch takes, and how long a flush, in seconds (moving
    averages): the writer flushes beside its deciding only where flushing takes longer."""

    def __init__(self) -> None:
        self.deciding = 0.0
        self.flushing = 0.0
        self.beside = False

    def decided(self, seconds: float) -> None:
        self.deciding += _EASING * (seconds - self.deciding)

    def flushed(self, seconds: float) -> None:
        self.flushing += _EASING * (seconds - self.flushing)

    def flush_beside(self) -> bool:
        """Whether the next batch's flush goes to the flusher thread. A margin either way keeps
        it from going back and forth where the two take about as long; each change is logged."""
        if self.beside != (self.flushing > self.deciding * (0.8 if self.beside else 1.25)):
            self.beside = not self.beside
            log.info(
                "a flush takes %.2f ms, deciding a batch %.2f ms: flushing %s",
                self.flushing * 1000,
                self.deciding * 1000,
                "in a thread of its own, beside the deciding" if self.beside else "before the next batch",
            )
        return self.beside


class Flusher:
    """Makes the committed batches durable and then sends their replies: in a thread of its own
    (``hand``), or in the caller's (``flush_and_send``). One flush covers every batch committed
    before it began, so a slow disk makes batches bigger, not fewer."""

    def __init__(self, rt: Runtime, sock: socket.socket, flush_delay: float, pace: Pace) -> None:
        self._rt = rt
        self._sock = sock
        self._delay = flush_delay
        self._pace = pace
        self._ready = threading.Condition()
        self._pending: list[Numbered] = []
        self._closing = False
        self._sending = threading.Lock()  # replies (this thread) and requests for more (the writer)
        self._thread = threading.Thread(target=self._run, name="flusher", daemon=True)
        self._thread.start()

    def hand(self, replies: Numbered) -> None:
        """Replies of a committed batch, to be sent by the flusher's thread once it is flushed."""
        with self._ready:
            self._pending.append(replies)
            self._ready.notify()

    def flush_and_send(self, batches: list[Numbered]) -> None:
        """Flush in this thread, then send the replies and ask for the next batch in one write."""
        self.send(_frame(self._flushed(batches)) + _ASK)

    def send(self, frame: bytes) -> None:
        """One whole frame on the socket, never interleaved with another thread's."""
        with self._sending:
            self._sock.sendall(frame)

    def close(self) -> None:
        """Flush and send what is pending, then stop."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._pending and not self._closing:
                    self._ready.wait()
                batches, self._pending = self._pending, []
            if not batches:
                return
            try:
                self.send(_frame(self._flushed(batches)))
            except OSError:  # the serving process has gone; the main loop sees it too
                return

    def _flushed(self, batches: list[Numbered]) -> list[Numbered]:
        """The batches' replies once everything committed so far is on disk (500s if it is not)."""
        began = time.perf_counter()
        if self._delay:
            time.sleep(self._delay)  # `yaksok bench --commit-delay-ms`: a slower disk's flush
        try:
            reservations.flush_reservations(self._rt)
        except Exception:  # committed but perhaps not durable: retrying with the key replays it
            log.exception("a flush of %d batches failed", len(batches))
            return [(first, [_INTERNAL_REPLY] * len(replies)) for first, replies in batches]
        finally:
            self._pace.flushed(time.perf_counter() - began)
        return batches


class Statistics:
    """When the writer asks for the planner's statistics to be refreshed (``refresh_statistics``):
    at its first ``FIRST`` requests, and each time the requests it has decided since it started
    have doubled. A new table is analysed before the plans made without statistics cost much,
    and a launch that grows ten times is analysed three or four times more."""

    FIRST = 500

    def __init__(self) -> None:
        self.decided = 0
        self.next = self.FIRST
        self.due = threading.Event()  # set here, cleared by the thread that refreshes them

    def count(self, requests: int) -> None:
        self.decided += requests
        if self.decided >= self.next:
            self.next = 2 * self.decided
            self.due.set()


def _upkeep(rt: Runtime, stop: threading.Event, statistics: Statistics) -> None:
    """Beside the writer: fold SQLite's write-ahead log into the database often (left to the
    commits, every thousandth page written makes one commit copy them all: a stall of 10-50 ms),
    and refresh the planner's statistics when they are due."""
    while not stop.wait(CHECKPOINT_EVERY):
        try:
            rt.store.checkpoint()
        except Exception:
            log.exception("a checkpoint of the write-ahead log failed; the next one will retry")
        if statistics.due.is_set():
            statistics.due.clear()
            try:
                rt.store.refresh_statistics()
            except Exception:
                log.exception("refreshing the planner's statistics failed; the next time will retry")


def _next_batch(sock: socket.socket, buffer: bytearray) -> list[Numbered] | None:
    """Every request that has arrived, waiting for at least one; None once the other end is closed."""
    arrived: list[Numbered] = []
    while not arrived:
        data = sock.recv(1 << 20)
        if not data:
            return None
        buffer += data
        with contextlib.suppress(BlockingIOError):
            while data := sock.recv(1 << 20, socket.MSG_DONTWAIT):
                buffer += data
        arrived.extend(_decode_requests(frame) for frame in _frames(buffer))
    return arrived


def _replies(rt: Runtime, commands: list[Reserve], terms: reservations.Terms) -> list[Reply]:
    try:
        return decided(rt, commands, flushed=False, terms=terms)
    except Exception:
        log.exception("a batch of %d reservations did not commit", len(commands))
        return [_INTERNAL_REPLY] * len(commands)


def main(url: str, fd: int, commit_delay_ms: float) -> None:
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the writer finishes
    # the batches the server still waits for and exits when the server closes its end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    sock = socket.socket(fileno=fd)
    with databases.opened(url, migrate=False) as rt:
        tune_gc_for_broadcasts()  # a full collection scanning the start-up heap stalls a batch
        serve(rt, sock, commit_delay_ms / 1000)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
