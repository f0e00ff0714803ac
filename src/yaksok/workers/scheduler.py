"""The scheduler loop: publishes notices on time, fills cadence slots, records broken promises.

``yaksok serve`` runs it beside the web app; ``yaksok worker`` runs it alone (``run_worker``).
On PostgreSQL many processes may run the loop; only the one holding the scheduler lock ticks
(``store/leadership.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from yaksok.config import Settings
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.services.upkeep import Leadership, TickReport, leader_lock, next_due, tick

log = logging.getLogger(__name__)


def step(rt: Runtime, leadership: Leadership, interval: float) -> float:
    """One pass, blocking: if this loop leads, do what time requires. Returns how many seconds
    to wait before the next pass. Errors are logged, never raised: the loop must not die."""
    try:
        if not leadership.hold():
            return interval
        started = rt.clock.now()
        _log_report(tick(rt))
        due = next_due(rt)
    except Exception:
        log.exception("scheduler tick failed; trying again in %.2f s", interval)
        return interval
    return _delay(due, started, rt.clock.now(), interval)


def _delay(due: datetime | None, started: datetime, now: datetime, interval: float) -> float:
    # Something that was due before the tick began and is still pending is stuck (it failed, or
    # another process holds it): wait the interval rather than spin on it.
    if due is None or due <= started:
        return interval
    return min(max((due - now).total_seconds(), 0.0), interval)


def _log_report(report: TickReport) -> None:
    for notice in report.published:
        late = notice.lateness.total_seconds() if notice.lateness is not None else 0.0
        log.info("published notice %s (%.3f s after its time)", notice.id, late)
    for notice in report.reminded:
        log.info("sent reminder %s: %s", notice.id, notice.title("en"))
    for milestone, promise in report.broken:
        log.warning("promise broken: milestone %s was due at %s", milestone.id, promise.promise.at)


def sign_checkpoint(rt: Runtime, leadership: Leadership) -> None:
    """Sign the ledger head if this loop leads; errors are logged (the next attempt will sign)."""
    if not leadership.leading:
        return
    try:
        seq = ledger.checkpoint(rt)
    except Exception:
        log.exception("signing a ledger checkpoint failed")
        return
    if seq is not None:
        log.info("signed ledger checkpoint at seq %d", seq)


async def run(rt: Runtime, settings: Settings, stop: asyncio.Event) -> None:
    """Tick now (publishing, with their lateness, notices that fell due while the service was
    down), then whenever something falls due and at least every ``scheduler_interval`` seconds,
    until ``stop`` is set. Signs a ledger checkpoint every ``checkpoint_interval`` seconds and
    once at shutdown."""
    leadership = leader_lock(rt)
    loop = asyncio.get_running_loop()
    next_checkpoint = loop.time() + settings.checkpoint_interval
    try:
        while True:
            delay = await _timed_step(rt, leadership, settings.scheduler_interval)
            if loop.time() >= next_checkpoint:
                await asyncio.to_thread(sign_checkpoint, rt, leadership)
                next_checkpoint = loop.time() + settings.checkpoint_interval
            if await _stopped_within(stop, delay):
                return
    finally:
        await asyncio.to_thread(sign_checkpoint, rt, leadership)
        await asyncio.to_thread(leadership.release)


async def _timed_step(rt: Runtime, leadership: Leadership, interval: float) -> float:
    """``step`` in a worker thread; the wait it asks for is counted from when it asked, not from
    when the event loop gets back to us (a live broadcast may hold the loop meanwhile)."""

    def timed() -> tuple[float, float]:
        return step(rt, leadership, interval), time.monotonic()

    delay, asked_at = await asyncio.to_thread(timed)
    return max(delay - (time.monotonic() - asked_at), 0.0)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    return stop.is_set()


Loop = Callable[[Runtime, Settings, asyncio.Event], Coroutine[Any, Any, None]]


def run_worker(rt: Runtime, settings: Settings, also: Sequence[Loop] = ()) -> None:
    """``yaksok worker``: run the loop, and ``also`` those beside it (the delivery worker),
    without the web app until SIGINT or SIGTERM (main thread)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await asyncio.gather(run(rt, settings, stop), *(loop_(rt, settings, stop) for loop_ in also))
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    asyncio.run(main())
