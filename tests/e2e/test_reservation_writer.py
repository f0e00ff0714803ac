"""The reservation writer process flushes in one of two ways, as the disk allows: in its own thread
before it takes the next batch, or, where a flush takes longer than deciding a batch, in a thread
beside the deciding. Either way every request is answered once, in order, with gapless places."""

from __future__ import annotations

import asyncio
import time

import msgspec
import pytest
import sqlalchemy as sa
from real_processes import database_url, open_preorder

from yaksok.domain.commands import Reserve
from yaksok.store.unit_of_work import Store
from yaksok.web.reservation_writer import Statistics, started

pytestmark = pytest.mark.e2e
SLUG = "open"
ROUNDS, AT_ONCE = 6, 20
BESIDE = "flushing in a thread of its own, beside the deciding"


def _reserve(n: int) -> Reserve:
    return Reserve(
        launch_slug=SLUG, idempotency_key=f"k{n}", sku="wifi-16", quantity=1, contact=f"c{n}@example.com"
    )


@pytest.mark.parametrize("commit_delay_ms", [0.0, 25.0])
def test_every_request_is_answered_once_whichever_thread_flushes(
    bare_engine: sa.Engine, commit_delay_ms: float, capfd: pytest.CaptureFixture[str]
) -> None:
    url = database_url(bare_engine)
    open_preorder(url, SLUG)

    async def rounds() -> list[tuple[int, int]]:
        answered: list[tuple[int, int]] = []
        with started(url, commit_delay_ms=commit_delay_ms) as writer:
            await writer.start()
            for round_ in range(ROUNDS):  # batches of several requests, one after another
                numbers = range(round_ * AT_ONCE, (round_ + 1) * AT_ONCE)
                replies = await asyncio.gather(*(writer.submit(_reserve(n)) for n in numbers))
                for n, (status, _, body) in zip(numbers, replies, strict=True):
                    answered.append((n, msgspec.json.decode(body)["sequence"] if status == 201 else -status))
            await writer.stop()
        return answered

    answered = asyncio.run(rounds())
    places = [place for _, place in answered]
    assert sorted(places) == list(range(1, ROUNDS * AT_ONCE + 1))  # every request taken, none twice
    # Each round waited for the one before: places follow the rounds.
    for round_ in range(1, ROUNDS):
        earlier = places[(round_ - 1) * AT_ONCE : round_ * AT_ONCE]
        assert max(earlier) < min(places[round_ * AT_ONCE : (round_ + 1) * AT_ONCE])
    with bare_engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM reservations")).scalar_one()
    assert stored == ROUNDS * AT_ONCE
    if commit_delay_ms:  # a 25 ms flush takes longer than deciding twenty requests, and it says so
        assert BESIDE in capfd.readouterr().err


def test_the_writer_asks_for_statistics_at_its_first_requests_and_as_they_double() -> None:
    statistics, due_at = Statistics(), []
    for _ in range(100):
        statistics.count(40)
        if statistics.due.is_set():
            statistics.due.clear()
            due_at.append(statistics.decided)
    assert due_at == [520, 1040, 2080]  # FIRST (500), then twice what was decided by the last time


def test_on_postgresql_the_writer_has_a_table_never_analysed_analysed_as_its_launch_fills(
    postgresql_store: Store,
) -> None:
    # Without statistics the planner read a batch's key probe through the (launch, contact) index,
    # reading every reservation of the launch once a key, until autovacuum's first look.
    url = database_url(postgresql_store.engine)
    open_preorder(url, SLUG)
    count = "SELECT analyze_count FROM pg_stat_user_tables WHERE relid = 'reservations'::regclass"

    def analysed() -> int:
        with postgresql_store.engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            return int(connection.exec_driver_sql(count).scalar_one())

    assert analysed() == 0

    async def fill() -> None:
        with started(url) as writer:
            await writer.start()
            for round_ in range(4):
                numbers = range(round_ * 150, (round_ + 1) * 150)
                await asyncio.gather(*(writer.submit(_reserve(n)) for n in numbers))
            await asyncio.sleep(0.3)  # the writer's upkeep thread looks every 50 ms
            await writer.stop()

    asyncio.run(fill())
    deadline = time.monotonic() + 15  # the statistics views lag their backends (by up to 10 s idle)
    while analysed() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert analysed() >= 1
    with postgresql_store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = 'reservations'::regclass"
        )
        assert rows.scalar_one() >= 150  # analysed with the launch's first rounds in it (-1: never)
