"""The scheduler loop: publishes notices on time, fills cadence slots, records broken promises.

``yaksok serve`` runs it beside the web app; ``yaksok worker`` runs it alone (``run_worker``).
On PostgreSQL many processes may run the loop; only the one holding the scheduler lock ticks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from yaksok.config import Settings
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.services.upkeep import TickReport, next_due, tick
from yaksok.store.unit_of_work import Store as SqlStore

log = logging.getLogger(__name__)

# "ysch", paired with the schema's hash: deployments sharing one database never share a leader.
_KEY = {"key": 0x7973_6368}


class Leadership:
    """Whether this loop is the one that ticks.

    On PostgreSQL the leader holds a session advisory lock on a connection of its own, so two
    ``yaksok worker`` processes never both publish (services re-check each notice anyway; this saves
    the duplicate work). On SQLite every loop leads: writers are already serialised by the database.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()  # hold() and release() may run in different worker threads
        self.leading = engine.dialect.name != "postgresql"

    def hold(self) -> bool:
        """True while this loop leads; tries to take the lead when it does not (blocking I/O)."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._guard:
            if self._connection is not None and not self._still_connected(self._connection):
                self._connection = None
            if self._connection is None:
                self._connection = self._try_lock()
            self.leading = self._connection is not None
            return self.leading

    def release(self) -> None:
        with self._guard:
            connection, self._connection = self._connection, None
            self.leading = self._engine.dialect.name != "postgresql"
            if connection is None:
                return
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"), _KEY)
            except DBAPIError:
                connection.invalidate()  # closing the session releases the lock too
            finally:
                connection.close()

    def _try_lock(self) -> Connection | None:
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        query = text("SELECT pg_try_advisory_lock(:key, hashtext(current_schema()))")
        try:
            won = bool(connection.execute(query, _KEY).scalar())
        except BaseException:
            connection.close()
            raise
        if not won:
            connection.close()
            return None
        log.info("this scheduler leads (holds the PostgreSQL scheduler lock)")
        return connection

    @staticmethod
    def _still_connected(connection: Connection) -> bool:
        # The lock lives as long as the session: if the session died, so did the lead.
        try:
            connection.execute(text("SELECT 1"))
        except DBAPIError:
            log.warning("the scheduler lock's connection was lost; trying to lead again")
            connection.invalidate()
            connection.close()
            return False
        return True


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
    assert isinstance(rt.store, SqlStore), "the scheduler's lead is held in the database"
    leadership = Leadership(rt.store.engine)
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


def run_worker(rt: Runtime, settings: Settings) -> None:
    """``yaksok worker``: run the loop without the web app until SIGINT or SIGTERM (main thread)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await run(rt, settings, stop)
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    asyncio.run(main())
