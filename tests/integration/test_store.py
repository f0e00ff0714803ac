"""Storage contract: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from yaksok.domain.cadence import Cadence
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Sku
from yaksok.domain.ledger import verify_chain
from yaksok.domain.notice import Claim, Notice, NoticeKind, NoticeState, Verdict
from yaksok.domain.policy import Override, Policy
from yaksok.domain.promise import Promise
from yaksok.store.engine import alembic_config, upgrade
from yaksok.store.types import UTCDateTime
from yaksok.store.unit_of_work import Store

T0 = datetime(2010, 11, 1, 3, 4, 5, 678000, tzinfo=UTC)
LAUNCH = Launch(
    slug="ipad-kt-2010",
    titles={"ko": "아이패드", "en": "iPad"},
    zone="Asia/Seoul",
    market="KR",
    skus=(Sku("wifi-16", {"en": "Wi-Fi 16 GB"}),),
    per_customer_limit=2,
    policy=Policy(min_lead=timedelta(hours=48)),
)


def test_migrations_can_run_twice(store: Store) -> None:
    upgrade(store.engine)
    with store.read() as tx:
        assert tx.launches.list() == []


def test_migrating_from_0002_keeps_single_string_reasons_as_english(bare_engine: sa.Engine) -> None:
    with bare_engine.connect().execution_options(yaksok_write=True) as connection, connection.begin():
        command.upgrade(alembic_config(connection), "0002")
    store = Store(bare_engine)
    milestone = Milestone(
        id="ipad-kt-2010.preorder",
        launch_slug=LAUNCH.slug,
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders"},
    )
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(milestone)
    old_row = sa.text(
        "INSERT INTO promise_versions (milestone_id, version, at, zone, local_time, precision, made_at,"
        " reason, change_kind, notice_id, overridden, justification) VALUES (:milestone, :version, NULL,"
        " 'Asia/Seoul', NULL, 'unannounced', :made_at, :reason, NULL, NULL, :overridden, :justification)"
    ).bindparams(sa.bindparam("made_at", type_=UTCDateTime()), sa.bindparam("overridden", type_=sa.JSON()))
    old_notice = sa.text(
        "INSERT INTO notices (id, kind, titles, bodies, milestone_ids, channels, state, overridden,"
        " justification, created_at) VALUES ('n1', 'change', :titles, :titles, :none, :none, 'draft',"
        " :overridden, 'The 9th was promised.', :created_at)"
    ).bindparams(
        sa.bindparam("titles", type_=sa.JSON()),
        sa.bindparam("none", type_=sa.JSON()),
        sa.bindparam("overridden", type_=sa.JSON()),
        sa.bindparam("created_at", type_=UTCDateTime()),
    )
    with bare_engine.begin() as connection:
        for version, reason, justification in ((1, "", ""), (2, "supply is short", "kept the date")):
            connection.execute(
                old_row,
                {
                    "milestone": milestone.id,
                    "version": version,
                    "made_at": T0,
                    "reason": reason,
                    "overridden": ["policy.lead_time"] if justification else [],
                    "justification": justification,
                },
            )
        connection.execute(
            old_notice,
            {"titles": {"en": "Changed"}, "none": [], "overridden": ["policy.lead_time"], "created_at": T0},
        )

    upgrade(bare_engine)

    with store.read() as tx:
        loaded = tx.milestones.get(milestone.id)
        notice = tx.notices.get("n1")
    assert loaded is not None and notice is not None
    assert [(v.reason, v.justification) for v in loaded.versions] == [
        ({}, {}),
        ({"en": "supply is short"}, {"en": "kept the date"}),
    ]
    assert notice.justification == {"en": "The 9th was promised."}


def test_a_launch_comes_back_exactly_as_stored(store: Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
    with store.read() as tx:
        assert tx.launches.get(LAUNCH.slug) == LAUNCH
        assert tx.launches.get("nope") is None


def test_promise_versions_keep_their_instant_zone_precision_and_override(store: Store) -> None:
    milestone = Milestone(
        id="ipad-kt-2010.preorder",
        launch_slug=LAUNCH.slug,
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders"},
    )
    milestone, _ = milestone.revise(
        Promise.parse("2010-11-09", "Asia/Seoul", "day"), policy=LAUNCH.policy, now=T0
    )
    milestone, _ = milestone.revise(
        Promise.parse("2010-11-09T20:00", "Asia/Seoul", "exact"),
        policy=LAUNCH.policy,
        now=datetime(2010, 11, 9, 7, 30, tzinfo=UTC),
        override=Override({"ko": "날짜는 지킴", "en": "kept the date"}),
    )
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(milestone)
    with store.read() as tx:
        loaded = tx.milestones.get(milestone.id)
    assert loaded == milestone
    assert loaded is not None and loaded.promise is not None
    assert loaded.promise.describe("en") == "2010-11-09 20:00 KST (11:00 UTC)"


def test_a_notice_with_a_claim_round_trips_and_is_found_when_due(store: Store) -> None:
    notice = Notice(
        id="n1",
        kind=NoticeKind.CLARIFICATION,
        titles={"ko": "정정", "en": "Correction"},
        bodies={"en": "Not **9 AM**."},
        created_at=T0,
        launch_slug=LAUNCH.slug,
        claim=Claim("Pre-orders at 9 AM", Verdict.FALSE, "https://news.example/9am"),
    ).schedule(T0 + timedelta(minutes=5), T0)
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.notices.add(notice)
    with store.read() as tx:
        assert tx.notices.get("n1") == notice
        assert tx.notices.due(T0) == []
        assert [n.id for n in tx.notices.due(T0 + timedelta(minutes=5))] == ["n1"]
        assert tx.notices.next_due_at() == T0 + timedelta(minutes=5)


def test_published_notices_list_newest_first_and_by_seq_after_a_point(store: Store) -> None:
    with store.write() as tx:
        for i in range(3):
            n = Notice(id=f"n{i}", kind=NoticeKind.GENERAL, titles={"en": f"t{i}"}, bodies={}, created_at=T0)
            tx.notices.add(n)
            tx.notices.save(n.publish(T0 + timedelta(minutes=i)), ledger_seq=10 + i)
    with store.read() as tx:
        assert [n.id for n in tx.notices.published()] == ["n2", "n1", "n0"]
        assert [seq for seq, _ in tx.notices.published_with_seq(10)] == [11, 12]
        assert all(n.state is NoticeState.PUBLISHED for n in tx.notices.published())


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.ledger.append(T0, "launch.created", {"launch": LAUNCH.slug})
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.launches.list() == [] and tx.ledger.head() is None


def test_concurrent_ledger_appends_never_fork_the_chain(store: Store) -> None:
    errors: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            for i in range(15):
                with store.write() as tx:
                    tx.ledger.append(T0, "act", {"worker": worker, "i": i})
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with store.read() as tx:
        report = verify_chain(tx.ledger.entries())
    assert report.ok and report.count == 60


def test_instants_keep_microseconds_and_come_back_in_utc(store: Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.cadences.add(
            Cadence(
                id="c1",
                launch_slug=LAUNCH.slug,
                weekdays=(0, 1, 2, 3, 4),
                local_time=time(10),
                zone="Asia/Seoul",
                titles={"en": "Shipping"},
                last_slot_at=T0,
            ),
            T0,
        )
    with store.read() as tx:
        [cadence] = tx.cadences.active()
    assert cadence.last_slot_at == T0 and cadence.last_slot_at.tzinfo is not None


def test_a_token_is_found_by_its_hash_only(store: Store) -> None:
    with store.write() as tx:
        tx.tokens.add("t1", "ab" * 32, "editor", "ops", T0)
    with store.read() as tx:
        assert tx.tokens.role_for("ab" * 32) == "editor"
        assert tx.tokens.role_for("cd" * 32) is None
