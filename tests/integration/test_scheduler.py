"""The scheduler loop on a simulated clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from datetime import timedelta

import pytest

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.services import notices
from yaksok.services.runtime import Runtime
from yaksok.services.upkeep import Leadership, TickReport, leader_lock
from yaksok.workers import scheduler
from yaksok.workers.scheduler import step


def settings(**overrides: float) -> Settings:
    return Settings(database_url="unused://", **overrides)  # type: ignore[arg-type]


def schedule(rt: Runtime, after: timedelta) -> Notice:
    at = rt.clock.now() + after
    return notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Shipping update"}, publish_at=at)
    )


def stored(rt: Runtime, notice_id: str) -> Notice:
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
    assert notice is not None
    return notice


def published_lateness_in_ledger(rt: Runtime, notice_id: str) -> float:
    with rt.store.read() as tx:
        [entry] = [e for e in tx.ledger.entries() if e.kind == "notice.published"]
    assert entry.data["notice"] == notice_id
    return float(entry.data["lateness_seconds"])


def test_a_notice_goes_out_on_the_tick_at_its_time_with_no_lateness(
    rt: Runtime, clock: SimulatedClock
) -> None:
    notice = schedule(rt, timedelta(hours=1))
    leadership = leader_lock(rt)
    try:
        step(rt, leadership, 0.2)
        assert stored(rt, notice.id).state is NoticeState.SCHEDULED

        clock.advance(timedelta(hours=1))
        step(rt, leadership, 0.2)
    finally:
        leadership.release()

    published = stored(rt, notice.id)
    assert published.state is NoticeState.PUBLISHED and published.lateness == timedelta(0)
    assert published_lateness_in_ledger(rt, notice.id) == 0.0


def test_a_notice_that_fell_due_while_down_goes_out_at_start_with_its_lateness(
    rt: Runtime, clock: SimulatedClock
) -> None:
    notice = schedule(rt, timedelta(hours=1))
    clock.advance(timedelta(hours=3, seconds=1.5))  # the service was down
    stop = asyncio.Event()
    stop.set()  # one pass: the one at start-up

    asyncio.run(scheduler.run(rt, settings(), stop))

    published = stored(rt, notice.id)
    assert published.state is NoticeState.PUBLISHED
    assert published.lateness == timedelta(hours=2, seconds=1.5)
    assert published_lateness_in_ledger(rt, notice.id) == 7201.5
    with rt.store.read() as tx:
        head = tx.ledger.head()
        assert head is not None and tx.ledger.latest_checkpoint_seq() == head.seq  # signed at shutdown


def test_the_loop_sleeps_until_the_next_due_time_but_never_longer_than_the_interval(
    sqlite_rt: Runtime,
) -> None:
    leadership = leader_lock(sqlite_rt)
    assert step(sqlite_rt, leadership, 0.2) == 0.2  # nothing planned

    schedule(sqlite_rt, timedelta(milliseconds=50))
    assert step(sqlite_rt, leadership, 0.2) == pytest.approx(0.05)

    assert step(sqlite_rt, leadership, 0.01) == 0.01


def test_a_failing_tick_is_logged_with_its_traceback_and_the_loop_goes_on(
    sqlite_rt: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def flaky_tick(_rt: Runtime) -> TickReport:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("database went away")
            loop.call_soon_threadsafe(stop.set)
            return TickReport()

        monkeypatch.setattr(scheduler, "tick", flaky_tick)
        await asyncio.wait_for(scheduler.run(sqlite_rt, settings(scheduler_interval=0.01), stop), 5)

    with caplog.at_level(logging.ERROR, logger="yaksok.workers.scheduler"):
        asyncio.run(scenario())

    assert len(calls) == 2
    [record] = caplog.records
    assert "scheduler tick failed" in record.getMessage()
    assert record.exc_info is not None and "database went away" in str(record.exc_info[1])


def test_stop_wakes_the_loop_from_its_sleep(sqlite_rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    ticked = threading.Event()

    def tick(_rt: Runtime) -> TickReport:
        ticked.set()
        return TickReport()

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(sqlite_rt, settings(scheduler_interval=60.0), stop))
        assert await asyncio.to_thread(ticked.wait, 5)
        stop.set()
        await asyncio.wait_for(task, 5)  # not 60 s

    monkeypatch.setattr(scheduler, "tick", tick)
    asyncio.run(scenario())


def test_checkpoints_are_signed_every_interval_and_at_shutdown(
    sqlite_rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed: list[int] = []
    real_sign = scheduler.sign_checkpoint

    def sign(rt: Runtime, leadership: Leadership) -> None:
        signed.append(1)
        real_sign(rt, leadership)

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        ticks: list[int] = []

        def tick(_rt: Runtime) -> TickReport:
            ticks.append(1)
            if len(ticks) == 3:
                loop.call_soon_threadsafe(stop.set)
            return TickReport()

        monkeypatch.setattr(scheduler, "tick", tick)
        every_pass = settings(scheduler_interval=0.001, checkpoint_interval=0.0)
        await asyncio.wait_for(scheduler.run(sqlite_rt, every_pass, stop), 5)

    monkeypatch.setattr(scheduler, "sign_checkpoint", sign)
    asyncio.run(scenario())

    assert len(signed) == 3 + 1


def test_only_one_scheduler_leads_on_postgresql(rt: Runtime, clock: SimulatedClock) -> None:
    first, second = leader_lock(rt), leader_lock(rt)
    try:
        if rt.store.dialect != "postgresql":
            assert first.hold() and second.hold()  # SQLite: one machine, writers serialised anyway
            return
        assert first.hold() and not second.hold()
        notice = schedule(rt, timedelta(seconds=1))
        clock.advance(timedelta(seconds=1))

        assert step(rt, second, 0.2) == 0.2
        assert stored(rt, notice.id).state is NoticeState.SCHEDULED  # the follower did not publish

        first.release()
        assert second.hold()
        step(rt, second, 0.2)
        assert stored(rt, notice.id).state is NoticeState.PUBLISHED
    finally:
        first.release()
        second.release()


def test_the_worker_runs_until_sigterm(sqlite_rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers need the main thread")
    ticks: list[int] = []

    def tick(_rt: Runtime) -> TickReport:
        ticks.append(1)
        os.kill(os.getpid(), signal.SIGTERM)
        return TickReport()

    monkeypatch.setattr(scheduler, "tick", tick)
    scheduler.run_worker(sqlite_rt, settings(scheduler_interval=60.0))

    assert ticks == [1]
