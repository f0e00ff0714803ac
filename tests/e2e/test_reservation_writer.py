"""The reservation writer process flushes in one of two ways, as the disk allows: in its own thread
before it takes the next batch, or, where a flush takes longer than deciding a batch, in a thread
beside the deciding. Either way every request is answered once, in order, with gapless places."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
import sqlalchemy as sa
from real_processes import database_url, open_preorder

from yaksok.domain.commands import Reserve
from yaksok.web.reservation_writer import started

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
