"""An admission is single-use in the reservation writer process too: the writer that ``yaksok
serve`` runs (``web.reservation_writer``) gets requests over its socket; two requests with one
admission token in one batch make one reservation, and the other is ``409 admission.used``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
import sqlalchemy as sa
from real_processes import database_url

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, ConfigureWaitingRoom, CreateLaunch, Reserve, RevisePromise
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision
from yaksok.services import launches, waiting_room
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.reservation_writer import started

pytestmark = pytest.mark.e2e
SLUG = "room"


def _admitted(url: str) -> str:
    """A launch whose pre-order opened a minute ago behind a waiting room; one admission token."""
    store = Store.connect(url)
    opening = datetime.now(UTC) - timedelta(minutes=1)
    clock = SimulatedClock(opening - timedelta(hours=2))
    rt = Runtime(store=store, clock=clock)
    launches.create_launch(
        rt,
        CreateLaunch(
            slug=SLUG,
            titles={"en": "Room"},
            zone="Asia/Seoul",
            skus=(Sku("wifi-16", {"en": "Wi-Fi"}),),
            per_customer_limit=5,
            policy=Policy(min_lead=timedelta(0)),
        ),
    )
    milestone = launches.add_milestone(
        rt, AddMilestone(launch_slug=SLUG, key="p", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "P"})
    )
    launches.revise_promise(
        rt, RevisePromise(milestone.id, time=opening.isoformat(), precision=Precision.EXACT)
    )
    prequeue = clock.now() + timedelta(minutes=1)
    waiting_room.configure(
        rt,
        ConfigureWaitingRoom(
            launch_slug=SLUG, enabled=True, prequeue_opens=prequeue, admit_per_second=10, token_minutes=10
        ),
    )
    clock.advance_to(datetime.now(UTC))
    joined = waiting_room.join(rt, SLUG, "late@example.com")  # after the opening: a number at once
    assert joined.ticket is not None
    token = waiting_room.admit(rt, SLUG, joined.ticket).token
    store.close()
    return token


def test_one_admission_makes_one_reservation_through_the_writer_process(bare_engine: sa.Engine) -> None:
    url = database_url(bare_engine)
    token = _admitted(url)

    async def burst() -> list[tuple[int, str]]:
        with started(url) as writer:
            await writer.start()
            commands = [
                Reserve(
                    launch_slug=SLUG,
                    idempotency_key=f"k{i}",
                    sku="wifi-16",
                    quantity=1,
                    contact="late@example.com",
                    admission=admission,
                )
                for i, admission in enumerate([token, token, None])
            ]
            replies = await asyncio.gather(*(writer.submit(command) for command in commands))
            await writer.stop()
        return [
            (status, "" if status == 201 else msgspec.json.decode(body)["code"])
            for status, _, body in replies
        ]

    answers = asyncio.run(burst())
    assert sorted(answers) == [(201, ""), (409, "admission.required"), (409, "admission.used")]
