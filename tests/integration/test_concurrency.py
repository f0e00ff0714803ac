"""Every state change raced from several threads at once, on SQLite and PostgreSQL.

Each race starts its threads together (a barrier) and checks what an outside client would:
one winner where only one can win, a 409 with a stable code for the others, never a 5xx or
an unexpected exception, no duplicate ledger entry, and a gapless ledger that verifies.
"""

from __future__ import annotations

import threading
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    CancelMilestone,
    CreateCadence,
    CreateLaunch,
    EditNotice,
    EndCadence,
    RecordOccurrence,
    RevisePromise,
    ScheduleNotice,
    WriteNotice,
)
from yaksok.domain.errors import YaksokError
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.ledger import LedgerEntry
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.promise import ChangeKind, Precision
from yaksok.services import cadences, launches, ledger, notices, upkeep
from yaksok.services.runtime import Runtime, random_ids
from yaksok.store.tables import milestones

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

CLIENTS = 8
SLUG = "ipad"
PREORDER = f"{SLUG}.preorder"
WAIT = 60.0  # seconds: a bound on a race that deadlocked, never reached when all is well


def race(action: Callable[[int], object], clients: int = CLIENTS) -> Counter[str]:
    """Run ``action(0..clients-1)`` in as many threads, released together; count the outcomes:
    ``ok`` (or the string the action returns), a ``YaksokError``'s code, or any other
    exception's name and message (always a bug)."""
    start = threading.Barrier(clients)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        start.wait()
        try:
            outcome = action(index)
            outcomes.append(outcome if isinstance(outcome, str) else "ok")
        except YaksokError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # reported by the assertion on the outcomes
            outcomes.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a racing thread is stuck: a deadlock?"
    return Counter(outcomes)


@pytest.fixture
def launch(rt: Runtime) -> Runtime:
    """A launch with one milestone; ids are random, as in production, since threads make them."""
    rt.new_id = random_ids
    launches.create_launch(rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    launches.add_milestone(
        rt,
        AddMilestone(launch_slug=SLUG, key="preorder", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "P"}),
    )
    return rt


def entries(rt: Runtime) -> list[LedgerEntry]:
    with rt.store.read() as tx:
        return list(tx.ledger.entries())


def assert_ledger_sound(rt: Runtime) -> None:
    verification = ledger.verify_store(rt)
    assert verification.ok, verification.describe()


def publications(rt: Runtime, notice_id: str) -> int:
    return sum(1 for e in entries(rt) if e.kind == "notice.published" and e.data["notice"] == notice_id)


def stored(rt: Runtime, notice_id: str) -> Notice:
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
    assert notice is not None
    return notice


def draft(rt: Runtime, title: str = "Draft") -> Notice:
    return notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": title}, launch_slug=SLUG)
    )


def promise(rt: Runtime, day: int = 1) -> None:
    launches.revise_promise(
        rt, RevisePromise(PREORDER, time=f"2010-12-{day:02d}T10:00", precision=Precision.EXACT, reason="r")
    )


# Notices ---------------------------------------------------------------------------------------


def test_a_notice_published_by_many_at_once_is_published_once(launch: Runtime) -> None:
    notice = draft(launch)

    outcomes = race(lambda _: notices.publish_notice(launch, notice.id))

    assert outcomes == {"ok": 1, "notice.immutable": CLIENTS - 1}
    assert publications(launch, notice.id) == 1
    assert_ledger_sound(launch)


def test_the_scheduler_racing_publish_now_publishes_a_due_notice_once(
    launch: Runtime, clock: SimulatedClock
) -> None:
    notice = draft(launch)
    notices.schedule_notice(launch, ScheduleNotice(notice.id, clock.now() + timedelta(minutes=1)))
    clock.advance(timedelta(minutes=2))

    def publish(index: int) -> None:
        if index % 2:
            notices.publish_notice(launch, notice.id)
        else:
            upkeep.tick(launch)

    outcomes = race(publish)

    assert publications(launch, notice.id) == 1
    assert outcomes["ok"] in (CLIENTS // 2, CLIENTS // 2 + 1)  # every tick, and at most one publish
    assert set(outcomes) <= {"ok", "notice.immutable"}
    assert stored(launch, notice.id).state is NoticeState.PUBLISHED
    assert_ledger_sound(launch)


def test_notices_published_at_once_on_creation_each_get_their_own_ledger_entry(launch: Runtime) -> None:
    made: list[Notice] = []

    outcomes = race(
        lambda i: made.append(
            notices.create_notice(
                launch, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": f"n{i}"}, publish_now=True)
            )
        )
    )

    assert outcomes == {"ok": CLIENTS}
    assert [publications(launch, notice.id) for notice in made] == [1] * CLIENTS
    assert_ledger_sound(launch)


def test_an_edit_racing_publication_is_published_or_refused_never_lost(launch: Runtime) -> None:
    notice = draft(launch, "Original")
    edited: list[str] = []

    def edit_or_publish(index: int) -> None:
        if index % 2:
            notices.publish_notice(launch, notice.id)
        else:
            notices.edit_notice(launch, EditNotice(notice.id, titles={"en": f"Edit {index}"}))
            edited.append(f"Edit {index}")

    outcomes = race(edit_or_publish)

    assert outcomes["ok"] == 1 + len(edited)
    assert set(outcomes) <= {"ok", "notice.immutable"}
    published = stored(launch, notice.id)
    [entry] = [e for e in entries(launch) if e.kind == "notice.published"]
    assert published.state is NoticeState.PUBLISHED
    assert entry.data["titles"] == published.titles  # nothing changed it after publication
    assert published.titles["en"] in (edited or ["Original"])
    assert_ledger_sound(launch)


def test_a_schedule_racing_publication_never_unpublishes(launch: Runtime, clock: SimulatedClock) -> None:
    notice = draft(launch)

    def schedule_or_publish(index: int) -> None:
        if index % 2:
            notices.publish_notice(launch, notice.id)
        else:
            notices.schedule_notice(
                launch, ScheduleNotice(notice.id, clock.now() + timedelta(hours=index + 1))
            )

    outcomes = race(schedule_or_publish)

    assert set(outcomes) <= {"ok", "notice.immutable"}
    assert stored(launch, notice.id).state is NoticeState.PUBLISHED
    assert publications(launch, notice.id) == 1
    assert_ledger_sound(launch)


def test_an_unschedule_racing_the_scheduler_leaves_a_draft_or_one_publication(
    launch: Runtime, clock: SimulatedClock
) -> None:
    notice = draft(launch)
    notices.schedule_notice(launch, ScheduleNotice(notice.id, clock.now() + timedelta(minutes=1)))
    clock.advance(timedelta(minutes=2))

    def unschedule_or_tick(index: int) -> None:
        if index % 2:
            notices.unschedule_notice(launch, notice.id)
        else:
            notices.publish_due(launch)

    outcomes = race(unschedule_or_tick)

    assert set(outcomes) <= {"ok", "notice.immutable"}
    state = stored(launch, notice.id).state
    assert state in (NoticeState.DRAFT, NoticeState.PUBLISHED)
    assert publications(launch, notice.id) == (1 if state is NoticeState.PUBLISHED else 0)
    if state is NoticeState.DRAFT:
        assert outcomes == {"ok": CLIENTS}
    assert_ledger_sound(launch)


def test_corrections_made_at_once_all_stand_in_ledger_order(launch: Runtime) -> None:
    old = notices.create_notice(
        launch, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "v1"}, publish_now=True)
    )

    outcomes = race(
        lambda i: notices.create_notice(
            launch,
            WriteNotice(
                kind=NoticeKind.GENERAL, titles={"en": f"v2.{i}"}, supersedes=old.id, publish_now=True
            ),
        )
    )

    assert outcomes == {"ok": CLIENTS}
    corrections = [e for e in entries(launch) if e.kind == "notice.published" and e.data["supersedes"]]
    assert len(corrections) == CLIENTS and len({e.data["notice"] for e in corrections}) == CLIENTS
    with launch.store.read() as tx:
        newest = tx.notices.superseded_by(old.id)
    assert newest is not None and newest.id == corrections[-1].data["notice"]
    assert_ledger_sound(launch)


# Milestones and promises -----------------------------------------------------------------------


def test_revisions_made_at_once_take_turns_and_number_their_versions_without_gaps(
    launch: Runtime,
) -> None:
    outcomes = race(lambda i: promise(launch, day=i + 1))

    assert outcomes == {"ok": CLIENTS}
    with launch.store.read() as tx:
        milestone = tx.milestones.get(PREORDER)
    assert milestone is not None
    assert [v.version for v in milestone.versions] == list(range(1, CLIENTS + 1))
    made = [e for e in entries(launch) if e.kind in ("promise.made", "promise.changed")]
    assert [e.data["version"] for e in made] == list(range(1, CLIENTS + 1))
    assert all(publications(launch, str(v.notice_id)) == 1 for v in milestone.versions)
    assert_ledger_sound(launch)


def test_a_milestone_cancelled_by_many_at_once_is_cancelled_once(launch: Runtime) -> None:
    promise(launch)

    outcomes = race(lambda _: launches.cancel_milestone(launch, CancelMilestone(PREORDER, reason="r")))

    assert outcomes == {"ok": 1, "milestone.cancelled": CLIENTS - 1}
    changes = [e for e in entries(launch) if e.kind == "promise.changed"]
    assert [e.data["change_kind"] for e in changes] == ["cancel"]
    assert_ledger_sound(launch)


def test_an_occurrence_recorded_by_many_at_once_is_recorded_once(launch: Runtime) -> None:
    promise(launch)

    outcomes = race(
        lambda i: launches.record_occurrence(launch, RecordOccurrence(PREORDER, note=f"seen by {i}"))
    )

    assert outcomes == {"ok": 1, "milestone.occurred": CLIENTS - 1}
    assert [e.kind for e in entries(launch)].count("milestone.occurred") == 1
    assert_ledger_sound(launch)


def test_revising_cancelling_and_recording_one_milestone_at_once_stays_consistent(
    launch: Runtime,
) -> None:
    promise(launch)
    acts: list[Callable[[], object]] = [
        lambda: promise(launch, day=20),
        lambda: promise(launch, day=21),
        lambda: launches.cancel_milestone(launch, CancelMilestone(PREORDER, reason="r")),
        lambda: launches.record_occurrence(launch, RecordOccurrence(PREORDER)),
    ]

    outcomes = race(lambda i: acts[i % len(acts)]())

    assert set(outcomes) <= {"ok", "milestone.cancelled", "milestone.occurred"}
    with launch.store.read() as tx:
        milestone = tx.milestones.get(PREORDER)
    assert milestone is not None
    versions = [v.version for v in milestone.versions]
    assert versions == list(range(1, len(versions) + 1))
    made = [e.data["version"] for e in entries(launch) if e.kind in ("promise.made", "promise.changed")]
    assert made == versions
    assert [v.change_kind for v in milestone.versions].count(ChangeKind.CANCEL) <= 1
    assert [e.kind for e in entries(launch)].count("milestone.occurred") == 1
    assert_ledger_sound(launch)


def test_a_broken_promise_is_recorded_once_while_ticks_and_revisions_race(
    launch: Runtime, clock: SimulatedClock
) -> None:
    for key in ("a", "b", "c"):
        launches.add_milestone(
            launch, AddMilestone(launch_slug=SLUG, key=key, kind=MilestoneKind.CUSTOM, titles={"en": key})
        )
        launches.revise_promise(
            launch, RevisePromise(f"{SLUG}.{key}", time="2010-12-01T10:00", precision=Precision.EXACT)
        )
    clock.advance_to(datetime(2010, 12, 1, 2, 0, tzinfo=UTC))  # 11:00 KST: all three broken

    def tick_or_revise(index: int) -> None:
        if index % 2:
            upkeep.tick(launch)
        else:
            key = "abc"[index // 2 % 3]
            launches.revise_promise(
                launch,
                RevisePromise(
                    f"{SLUG}.{key}",
                    time=f"2010-12-{24 + index // 2:02d}T10:00",
                    precision=Precision.EXACT,
                    reason="late",
                ),
            )

    outcomes = race(tick_or_revise)

    assert outcomes == {"ok": CLIENTS}
    broken = Counter(
        (e.data["milestone"], e.data["version"]) for e in entries(launch) if e.kind == "promise.broken"
    )
    assert set(broken.values()) <= {1}
    assert {milestone for milestone, _version in broken} <= {f"{SLUG}.{key}" for key in "abc"}
    assert_ledger_sound(launch)


def test_a_launch_created_by_many_at_once_is_created_once(rt: Runtime) -> None:
    outcomes = race(
        lambda i: launches.create_launch(rt, CreateLaunch(slug="same", titles={"en": f"t{i}"}, zone="UTC"))
    )

    assert outcomes == {"ok": 1, "launch.exists": CLIENTS - 1}
    assert [e.kind for e in entries(rt)] == ["launch.created"]
    assert_ledger_sound(rt)


def test_milestones_added_at_once_get_one_key_once_and_distinct_positions(launch: Runtime) -> None:
    same = race(
        lambda _: launches.add_milestone(
            launch, AddMilestone(launch_slug=SLUG, key="x", kind=MilestoneKind.CUSTOM, titles={"en": "X"})
        )
    )
    distinct = race(
        lambda i: launches.add_milestone(
            launch,
            AddMilestone(launch_slug=SLUG, key=f"k{i}", kind=MilestoneKind.CUSTOM, titles={"en": f"K{i}"}),
        )
    )

    assert same == {"ok": 1, "milestone.exists": CLIENTS - 1}
    assert distinct == {"ok": CLIENTS}
    with launch.store.read() as tx:
        positions = list(tx.connection.execute(sa.select(milestones.c.position)).scalars())
    assert sorted(positions) == list(range(CLIENTS + 2))
    assert_ledger_sound(launch)


# Cadences --------------------------------------------------------------------------------------


def test_a_cadence_slot_is_filled_once_however_many_schedulers_run(
    launch: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(datetime(2010, 11, 8, 0, 0, tzinfo=UTC))  # Monday 09:00 KST
    cadence = cadences.create_cadence(
        launch,
        CreateCadence(launch_slug=SLUG, weekdays="daily", at="10:00", titles={"en": "Shipping update"}),
    )
    written = notices.create_notice(
        launch,
        WriteNotice(
            kind=NoticeKind.SHIPPING_UPDATE, titles={"en": "Batch 1"}, launch_slug=SLUG, cadence_id=cadence.id
        ),
    )
    clock.advance_to(datetime(2010, 11, 8, 1, 30, tzinfo=UTC))  # 10:30 KST: one slot has come

    def fill_or_publish(index: int) -> None:
        if index % 4 == 3:
            notices.publish_notice(launch, written.id)  # the operator publishes the update by hand
        else:
            cadences.run_cadences(launch)

    outcomes = race(fill_or_publish)

    assert set(outcomes) <= {"ok", "notice.immutable"}
    assert publications(launch, written.id) == 1
    with launch.store.read() as tx:
        filled = tx.cadences.get(cadence.id)
        by_cadence = [n for n in tx.notices.published() if n.cadence_id == cadence.id]
    assert filled is not None and filled.last_slot_at == datetime(2010, 11, 8, 1, 0, tzinfo=UTC)
    assert len(by_cadence) in (1, 2)  # the update, and "no change" if the operator beat the slot
    assert_ledger_sound(launch)


def test_a_cadence_ended_by_many_at_once_ends_once_and_fills_no_slot_after(
    launch: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(datetime(2010, 11, 8, 0, 0, tzinfo=UTC))
    cadence = cadences.create_cadence(
        launch,
        CreateCadence(launch_slug=SLUG, weekdays="daily", at="10:00", titles={"en": "Shipping update"}),
    )
    clock.advance_to(datetime(2010, 11, 8, 1, 30, tzinfo=UTC))

    def end_or_fill(index: int) -> None:
        if index % 2:
            cadences.end_cadence(launch, EndCadence(cadence.id, reason="sold out"))
        else:
            cadences.run_cadences(launch)

    outcomes = race(end_or_fill)

    assert outcomes == {"ok": CLIENTS // 2 + 1, "cadence.ended": CLIENTS // 2 - 1}
    kinds = [e.kind for e in entries(launch)]
    assert kinds.count("cadence.ended") == 1 and kinds.count("notice.published") <= 1
    assert "notice.published" not in kinds[kinds.index("cadence.ended") :]
    assert_ledger_sound(launch)


# The ledger and the store ----------------------------------------------------------------------


def test_checkpoints_signed_at_once_use_one_key_and_verify(launch: Runtime) -> None:
    keys: set[str] = set()

    def sign_or_read_key(index: int) -> None:
        if index % 2:
            ledger.checkpoint(launch)
        else:
            keys.add(ledger.public_key_pem(launch))

    outcomes = race(sign_or_read_key)

    assert outcomes == {"ok": CLIENTS} and len(keys) == 1
    with launch.store.read() as tx:
        assert len(tx.ledger.checkpoints()) == 1
    assert ledger.verify_store(launch).checkpoints_checked == 1
    assert_ledger_sound(launch)


# Through the HTTP API --------------------------------------------------------------------------


Request = tuple[str, str, dict[str, Any] | None]


def http_race(app: Starlette, headers: dict[str, str], request: Callable[[int], Request]) -> Counter[str]:
    """``race`` through the API, one client (and connection) per thread: ``ok`` for a 2xx, the
    problem's code for a 409, else the status and body (a 5xx is always a bug)."""

    def send(index: int) -> str:
        method, path, body = request(index)
        client = TestClient(app, raise_server_exceptions=False)
        response = client.request(method, path, json=body, headers=headers)
        if response.is_success:
            return "ok"
        if response.status_code == 409:
            return str(response.json()["code"])
        return f"{response.status_code} {response.text}"

    return race(send)


@pytest.fixture
def api_launch(client: TestClient, admin: dict[str, str], rt: Runtime) -> Runtime:
    rt.new_id = random_ids
    body = {"slug": SLUG, "titles": {"en": "iPad"}, "zone": "Asia/Seoul"}
    assert client.post("/api/v1/launches", json=body, headers=admin).status_code == 201
    milestone = {"key": "preorder", "kind": "preorder_opens", "titles": {"en": "P"}}
    assert client.post(f"/api/v1/launches/{SLUG}/milestones", json=milestone, headers=admin).is_success
    return rt


def test_publishing_one_notice_from_many_clients_gives_one_200_and_409s(
    app: Starlette, admin: dict[str, str], api_launch: Runtime
) -> None:
    notice = draft(api_launch)

    outcomes = http_race(app, admin, lambda _: ("POST", f"/api/v1/notices/{notice.id}/publish", None))

    assert outcomes == {"ok": 1, "notice.immutable": CLIENTS - 1}
    assert publications(api_launch, notice.id) == 1
    assert_ledger_sound(api_launch)


def test_revising_one_promise_from_many_clients_never_fails(
    app: Starlette, admin: dict[str, str], api_launch: Runtime
) -> None:
    def revision(index: int) -> Request:
        body = {"time": f"2010-12-{index + 1:02d}T10:00", "precision": "exact", "reason": "r"}
        return "POST", f"/api/v1/milestones/{PREORDER}/promises", body

    outcomes = http_race(app, admin, revision)

    assert outcomes == {"ok": CLIENTS}
    made = [e for e in entries(api_launch) if e.kind.startswith("promise.")]
    assert sorted(e.data["version"] for e in made) == list(range(1, CLIENTS + 1))
    assert_ledger_sound(api_launch)


@pytest.mark.parametrize(
    ("path", "body", "loser_code"),
    [
        ("cancel", {"reason": "r"}, "milestone.cancelled"),
        ("occurrence", {"note": "seen"}, "milestone.occurred"),
    ],
)
def test_one_milestone_act_from_many_clients_gives_one_winner_and_409s(
    app: Starlette,
    admin: dict[str, str],
    api_launch: Runtime,
    path: str,
    body: dict[str, Any],
    loser_code: str,
) -> None:
    promise(api_launch)

    outcomes = http_race(app, admin, lambda _: ("POST", f"/api/v1/milestones/{PREORDER}/{path}", body))

    assert outcomes == {"ok": 1, loser_code: CLIENTS - 1}
    assert_ledger_sound(api_launch)


def test_creating_one_launch_from_many_clients_gives_one_201_and_409s(
    app: Starlette, admin: dict[str, str], rt: Runtime
) -> None:
    body = {"slug": "same", "titles": {"en": "Same"}, "zone": "UTC"}

    outcomes = http_race(app, admin, lambda _: ("POST", "/api/v1/launches", body))

    assert outcomes == {"ok": 1, "launch.exists": CLIENTS - 1}
    assert_ledger_sound(rt)


def test_correcting_one_notice_from_many_clients_publishes_every_correction_once(
    app: Starlette, admin: dict[str, str], api_launch: Runtime
) -> None:
    old = notices.create_notice(
        api_launch, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "v1"}, publish_now=True)
    )

    def correction(index: int) -> Request:
        return (
            "POST",
            f"/api/v1/notices/{old.id}/supersede",
            {"kind": "general", "titles": {"en": f"v{index}"}},
        )

    outcomes = http_race(app, admin, correction)

    assert outcomes == {"ok": CLIENTS}
    published = [e.data["notice"] for e in entries(api_launch) if e.kind == "notice.published"]
    assert len(published) == len(set(published)) == CLIENTS + 1
    assert_ledger_sound(api_launch)


def test_scheduling_and_publishing_one_notice_from_many_clients_publishes_it_once(
    app: Starlette, admin: dict[str, str], api_launch: Runtime, clock: SimulatedClock
) -> None:
    notice = draft(api_launch)
    later = (clock.now() + timedelta(hours=1)).isoformat()
    acts: list[Request] = [
        ("POST", f"/api/v1/notices/{notice.id}/publish", None),
        ("POST", f"/api/v1/notices/{notice.id}/schedule", {"publish_at": later}),
        ("POST", f"/api/v1/notices/{notice.id}/unschedule", None),
        ("PATCH", f"/api/v1/notices/{notice.id}", {"titles": {"en": "Edited"}}),
    ]

    outcomes = http_race(app, admin, lambda i: acts[i % len(acts)])

    assert set(outcomes) <= {"ok", "notice.immutable"}
    assert publications(api_launch, notice.id) == 1
    assert stored(api_launch, notice.id).state is NoticeState.PUBLISHED
    assert_ledger_sound(api_launch)


def test_adding_one_milestone_from_many_clients_gives_one_201_and_409s(
    app: Starlette, admin: dict[str, str], api_launch: Runtime
) -> None:
    body = {"key": "sale", "kind": "sale_starts", "titles": {"en": "Sale"}}

    outcomes = http_race(app, admin, lambda _: ("POST", f"/api/v1/launches/{SLUG}/milestones", body))

    assert outcomes == {"ok": 1, "milestone.exists": CLIENTS - 1}
    assert_ledger_sound(api_launch)
