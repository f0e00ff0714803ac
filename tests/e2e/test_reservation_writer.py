"""The reservation writer process flushes in one of two ways, as the disk allows: in its own thread
before it takes the next batch, or, where a flush takes longer than deciding a batch, in a thread
beside the deciding. Either way every request is answered once, in order, with gapless places."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
import sqlalchemy as sa
from real_processes import database_url

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, Reserve, RevisePromise
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.reservation_writer import started

pytestmark = pytest.mark.e2e
SLUG = "open"
ROUNDS, AT_ONCE = 6, 20
BESIDE = "flushing in a thread of its own, beside the deciding"


def _open_preorder(url: str) -> None:
    store = Store.connect(url)
    opening = datetime.now(UTC) - timedelta(minutes=1)
    rt = Runtime(store=store, clock=SimulatedClock(opening - timedelta(hours=1)))
    launches.create_launch(
        rt,
        CreateLaunch(
            slug=SLUG,
            titles={"en": "Open"},
            zone="Asia/Seoul",
            skus=(Sku("wifi-16", {"en": "Wi-Fi"}),),
            policy=Policy(min_lead=timedelta(0)),
        ),
    )
    milestone = launches.add_milestone(
        rt, AddMilestone(launch_slug=SLUG, key="p", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "P"})
    )
    launches.revise_promise(
        rt, RevisePromise(milestone.id, time=opening.isoformat(), precision=Precision.EXACT)
    )
    store.close()


def _reserve(n: int) -> Reserve:
    return Reserve(
        launch_slug=SLUG, idempotency_key=f"k{n}", sku="wifi-16", quantity=1, contact=f"c{n}@example.com"
    )


@pytest.mark.parametrize("commit_delay_ms", [0.0, 25.0])
def test_every_request_is_answered_once_whichever_thread_flushes(
    bare_engine: sa.Engine, commit_delay_ms: float, capfd: pytest.CaptureFixture[str]
) -> None:
    url = database_url(bare_engine)
    _open_preorder(url)

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
