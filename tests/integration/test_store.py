"""Storage contract: the same behaviour on SQLite, PostgreSQL and the in-memory fake.

Every test taking ``store`` runs on all three, through the port only, so the fake the service
tests run on cannot drift from the real stores. The migrations are checked on SQL alone.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from yaksok.domain.administration import Operator
from yaksok.domain.cadence import Cadence
from yaksok.domain.errors import Conflict
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Sku
from yaksok.domain.ledger import Checkpoint, SigningKey, verify_chain
from yaksok.domain.notice import Claim, Notice, NoticeKind, NoticeState, Verdict
from yaksok.domain.policy import Override, Policy
from yaksok.domain.promise import Promise
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.domain.subscription import Subscription
from yaksok.store import port, tables
from yaksok.store.engine import alembic_config, upgrade
from yaksok.store.memory import MemoryStore
from yaksok.store.types import UTCDateTime
from yaksok.store.unit_of_work import Store, Transaction

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
CADENCE = Cadence(
    id="c1",
    launch_slug=LAUNCH.slug,
    weekdays=(0, 1, 2, 3, 4),
    local_time=time(10),
    zone="Asia/Seoul",
    titles={"en": "Shipping"},
    last_slot_at=T0,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    """An empty store: each SQL one, migrated, and the fake."""
    if request.param == "memory":
        return MemoryStore()
    sql_store: Store = request.getfixturevalue(f"{request.param}_store")
    return sql_store


def schema(engine: sa.Engine) -> dict[str, object]:
    """Every table's columns, keys, indexes and constraints as the database reports them."""
    inspector = sa.inspect(engine)
    return {
        table: {
            "columns": [{**column, "type": str(column["type"])} for column in inspector.get_columns(table)],
            "primary key": inspector.get_pk_constraint(table),
            "foreign keys": inspector.get_foreign_keys(table),
            "indexes": sorted(inspector.get_indexes(table), key=lambda index: str(index["name"])),
            "unique": inspector.get_unique_constraints(table),
            "checks": inspector.get_check_constraints(table),
        }
        for table in sorted(inspector.get_table_names())
    }


def test_a_test_store_starts_from_exactly_the_schema_the_migrations_make(
    bare_engine: sa.Engine, request: pytest.FixtureRequest
) -> None:
    quick: Store = request.getfixturevalue(f"{bare_engine.dialect.name}_store")
    upgrade(bare_engine)

    assert schema(quick.engine) == schema(bare_engine)
    with quick.engine.connect() as quick_db, bare_engine.connect() as migrated_db:
        version = "SELECT version_num FROM alembic_version"
        assert quick_db.exec_driver_sql(version).all() == migrated_db.exec_driver_sql(version).all()


def test_migrations_can_run_twice(bare_engine: sa.Engine) -> None:
    upgrade(bare_engine)
    upgrade(bare_engine)
    with Store(bare_engine).read() as tx:
        assert tx.launches.list() == []


def _migrate_to(engine: sa.Engine, revision: str) -> None:
    with engine.connect().execution_options(yaksok_write=True) as connection, connection.begin():
        command.upgrade(alembic_config(connection), revision)


def test_migrating_from_0002_keeps_single_string_reasons_as_english(bare_engine: sa.Engine) -> None:
    _migrate_to(bare_engine, "0002")
    store = Store(bare_engine)
    milestone = Milestone(
        id="ipad-kt-2010.preorder",
        launch_slug=LAUNCH.slug,
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders"},
    )
    old_launch = sa.text(
        "INSERT INTO launches (slug, titles, zone, market, skus, per_customer_limit, policy, created_at)"
        " VALUES (:slug, :titles, 'Asia/Seoul', 'KR', :skus, 2, :policy, :created_at)"
    ).bindparams(
        sa.bindparam("titles", type_=sa.JSON()),
        sa.bindparam("skus", type_=sa.JSON()),
        sa.bindparam("policy", type_=sa.JSON()),
        sa.bindparam("created_at", type_=UTCDateTime()),
    )
    with bare_engine.begin() as connection:  # the launches table as 0002 left it
        connection.execute(
            old_launch,
            {"slug": LAUNCH.slug, "titles": LAUNCH.titles, "skus": [], "policy": {}, "created_at": T0},
        )
    with store.write() as tx:
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
        launch = tx.launches.get(LAUNCH.slug)
    assert loaded is not None and notice is not None
    assert launch is not None and launch.languages == ("ko", "en")  # 0017: launches before it
    assert [(v.reason, v.justification) for v in loaded.versions] == [
        ({}, {}),
        ({"en": "supply is short"}, {"en": "kept the date"}),
    ]
    assert notice.justification == {"en": "The 9th was promised."}


def test_migrating_from_0003_copies_each_token_into_the_audit_trail_and_keeps_the_ledger(
    bare_engine: sa.Engine,
) -> None:
    _migrate_to(bare_engine, "0003")
    store = Store(bare_engine)
    with store.write() as tx:  # what 0.1.0 wrote when a token was made
        tx.tokens.add("t_0001", "ab" * 32, "editor", "comms team", T0)
        tx.ledger.append(T0, "token.created", {"token": "t_0001", "role": "editor", "label": "comms team"})

    upgrade(bare_engine)

    with store.read() as tx:
        [entry] = tx.audit.entries()
        kept = list(tx.ledger.entries())
        assert tx.tokens.role_for("ab" * 32) == "editor"
    assert (entry.at, entry.actor, entry.action) == (T0, None, "token.created")
    assert entry.details == {"token": "t_0001", "role": "editor", "label": "comms team"}
    assert [e.kind for e in kept] == ["token.created"]  # append-only: the old entry stays
    assert verify_chain(kept).ok


def test_migrating_from_0007_gives_unconfirmed_paused_and_rotating_subscriptions_their_own_columns(
    bare_engine: sa.Engine,
) -> None:
    _migrate_to(bare_engine, "0007")
    old = sa.text(
        "INSERT INTO subscriptions (id, channel, target, secret, language, launches, kinds, created_at,"
        " disabled_at, disabled_reason) VALUES (:id, :channel, 'x', :secret, 'ko', :none, :none, :at,"
        " :disabled_at, :reason)"
    ).bindparams(
        sa.bindparam("none", type_=sa.JSON()),
        sa.bindparam("at", type_=UTCDateTime()),
        sa.bindparam("disabled_at", type_=UTCDateTime()),
    )
    rows = [
        ("s_1", "email", "tok", T0, "awaiting confirmation"),
        ("s_2", "webhook", "whsec_a", T0 + timedelta(hours=1), "paused"),
        ("s_3", "webhook", f"whsec_b whsec_a {int((T0 + timedelta(hours=24)).timestamp())}", None, ""),
        ("s_4", "webhook", "whsec_c", T0, "410 Gone"),
    ]
    with bare_engine.begin() as connection:
        for id_, channel, secret, disabled_at, reason in rows:
            connection.execute(
                old,
                {"id": id_, "channel": channel, "secret": secret, "none": [], "at": T0,
                 "disabled_at": disabled_at, "reason": reason},
            )  # fmt: skip

    upgrade(bare_engine)

    with Store(bare_engine).read() as tx:
        found = {s.id: s for s in tx.subscriptions.page(after="", created_by=T0, limit=9)}
    assert {id_: s.state for id_, s in found.items()} == {
        "s_1": "unconfirmed",
        "s_2": "paused",
        "s_3": "active",
        "s_4": "disabled",
    }
    assert (found["s_1"].disabled_at, found["s_1"].awaiting_confirmation) == (None, True)
    assert (found["s_2"].disabled_at, found["s_2"].paused_at) == (None, T0 + timedelta(hours=1))
    assert (found["s_3"].secret, found["s_3"].previous_secret) == ("whsec_b", "whsec_a")
    assert found["s_3"].previous_secret_until == (T0 + timedelta(hours=24)).replace(microsecond=0)
    assert (found["s_4"].disabled_at, found["s_4"].disabled_reason) == (T0, "410 Gone")


def test_migrating_from_0019_keeps_every_subscription_and_the_social_credentials_that_refer_to_them(
    bare_engine: sa.Engine,
) -> None:
    _migrate_to(bare_engine, "0019")
    made = [
        Subscription(id=f"s_{n}", channel="webhook", target=f"https://example.com/{n}", secret="whsec_a",
                     language="ko", created_at=T0 + timedelta(minutes=n))
        for n in (3, 1, 2)
    ]  # fmt: skip
    with Store(bare_engine).write() as tx:
        tx.subscriptions.add_many(made)
        tx.connection.exec_driver_sql(
            "INSERT INTO social_credentials (subscription_id, secret) VALUES ('s_2', 'token')"
        )

    upgrade(bare_engine)

    store = Store(bare_engine)
    with store.read() as tx:
        found = tx.subscriptions.page(after="", created_by=T0 + timedelta(hours=1), limit=9)
        credentials = tx.connection.exec_driver_sql("SELECT * FROM social_credentials").all()
    assert found == sorted(made, key=lambda s: s.id)
    assert credentials == [("s_2", "token")]
    if bare_engine.dialect.name == "sqlite":  # one B-tree in id order; the references still hold
        with bare_engine.connect() as connection:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'subscriptions'"
            ).scalar_one()
            assert sql.rstrip().endswith("WITHOUT ROWID")
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            names = "SELECT name FROM sqlite_master WHERE tbl_name = 'subscriptions' AND type = 'index'"
            assert "ix_subscriptions_target" in connection.exec_driver_sql(names).scalars().all()


def _insert_as_stored_before(engine: sa.Engine, rows: list[Reservation]) -> None:
    """The launch and ``rows`` in the reservations table alone, as an earlier revision kept them."""
    with Store(engine).write() as tx:
        tx.launches.add(LAUNCH, T0)
        columns = ("launch_slug", "sequence", "code", "secret_hash", "idempotency_key", "fingerprint",
                   "sku", "quantity", "contact", "state", "created_at")  # fmt: skip
        values = [{c: getattr(r, c) for c in columns} | {"state": r.state.value} for r in rows]
        tx.connection.execute(tables.reservations.insert(), values)


def test_migrating_from_0020_counts_the_units_queued_reservations_already_hold(
    bare_engine: sa.Engine,
) -> None:
    _migrate_to(bare_engine, "0020")
    rows = [
        reservation(1, quantity=2),
        reservation(2, sku="lte-32"),
        reservation(3, quantity=3, state=ReservationState.WAITLISTED),
        reservation(4, state=ReservationState.CANCELLED),
        reservation(5),
    ]
    _insert_as_stored_before(bare_engine, rows)

    upgrade(bare_engine)

    with Store(bare_engine).read() as tx:
        assert tx.reservations.units_held(LAUNCH.slug) == {"wifi-16": 3, "lte-32": 1}


def test_migrating_from_0021_counts_each_launchs_reservations_by_state_second_and_block(
    bare_engine: sa.Engine,
) -> None:
    _migrate_to(bare_engine, "0021")
    later = T0 + timedelta(seconds=2, microseconds=5)
    rows = [
        reservation(1, quantity=2),
        reservation(2, sku="lte-32", created_at=later),
        reservation(3, quantity=3, state=ReservationState.WAITLISTED, created_at=later),
        reservation(4, state=ReservationState.CANCELLED),
        reservation(1500),  # in the second block of its line
    ]
    _insert_as_stored_before(bare_engine, rows)

    upgrade(bare_engine)

    with Store(bare_engine).read() as tx:
        tally = tx.reservations.tally(LAUNCH.slug)
        assert tx.reservations.ahead_of(rows[-1]) == 2  # r1 and r2: the first block, as counted
        assert tx.reservations.for_launch(LAUNCH.slug, ReservationState.QUEUED, after=1) == [rows[1], rows[4]]
    queued, waitlisted, cancelled = (
        ReservationState.QUEUED,
        ReservationState.WAITLISTED,
        ReservationState.CANCELLED,
    )
    assert dict(tally.by_state) == {queued: 3, waitlisted: 1, cancelled: 1}
    assert dict(tally.units_held) == {"wifi-16": 3, "lte-32": 1}
    whole = T0.replace(microsecond=0)
    assert dict(tally.per_second) == {whole: 3, whole + timedelta(seconds=2): 2}
    assert tally.first_created == T0
    with Store(bare_engine).write() as tx:  # and the totals go on from there
        tx.reservations.add_many([reservation(5, created_at=later)])
    with Store(bare_engine).read() as tx:
        assert tx.reservations.tally(LAUNCH.slug).per_second[whole + timedelta(seconds=2)] == 3


def test_a_launch_comes_back_exactly_as_stored(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
    with store.read() as tx:
        assert tx.launches.get(LAUNCH.slug) == LAUNCH
        assert tx.launches.get("nope") is None


def test_promise_versions_keep_their_instant_zone_precision_and_override(store: port.Store) -> None:
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


def test_a_notice_with_a_claim_round_trips_and_is_found_when_due(store: port.Store) -> None:
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


def test_published_notices_list_newest_first_and_by_seq_after_a_point(store: port.Store) -> None:
    with store.write() as tx:
        for i in range(3):
            n = Notice(id=f"n{i}", kind=NoticeKind.GENERAL, titles={"en": f"t{i}"}, bodies={}, created_at=T0)
            tx.notices.add(n)
            tx.notices.save(n.publish(T0 + timedelta(minutes=i)), ledger_seq=10 + i)
    with store.read() as tx:
        assert [n.id for n in tx.notices.published()] == ["n2", "n1", "n0"]
        assert [seq for seq, _ in tx.notices.published_with_seq(10)] == [11, 12]
        assert all(n.state is NoticeState.PUBLISHED for n in tx.notices.published())


def test_a_failed_transaction_leaves_nothing_behind(store: port.Store) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.ledger.append(T0, "launch.created", {"launch": LAUNCH.slug})
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.launches.list() == [] and tx.ledger.head() is None


def test_concurrent_ledger_appends_never_fork_the_chain(store: port.Store) -> None:
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


def test_instants_keep_microseconds_and_come_back_in_utc(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.cadences.add(CADENCE, T0)
    with store.read() as tx:
        [cadence] = tx.cadences.active()
    assert cadence.last_slot_at == T0 and cadence.last_slot_at.tzinfo is not None


def test_a_token_is_found_by_its_hash_only(store: port.Store) -> None:
    with store.write() as tx:
        tx.tokens.add("t1", "ab" * 32, "editor", "ops", T0)
    with store.read() as tx:
        assert tx.tokens.role_for("ab" * 32) == "editor"
        assert tx.tokens.role_for("cd" * 32) is None


def milestone(key: str, slug: str = LAUNCH.slug) -> Milestone:
    return Milestone(
        id=f"{slug}.{key}", launch_slug=slug, key=key, kind=MilestoneKind.CUSTOM, titles={"en": key}
    )


def notice(notice_id: str, **fields: Any) -> Notice:
    fields.setdefault("created_at", T0)
    return Notice(id=notice_id, kind=NoticeKind.GENERAL, titles={"en": notice_id}, bodies={}, **fields)


def test_a_revoked_token_is_listed_with_its_date_and_no_longer_found_by_its_hash(store: port.Store) -> None:
    with store.write() as tx:
        tx.tokens.add("t1", "ab" * 32, "editor", "ops", T0)
        tx.tokens.add("t2", "cd" * 32, "viewer", "press", T0 + timedelta(seconds=1))
    with store.write() as tx:
        assert tx.tokens.revoke("t1", T0 + timedelta(hours=1))
        assert not tx.tokens.revoke("t1", T0 + timedelta(hours=2))
        assert not tx.tokens.revoke("t_unknown", T0)
    with store.read() as tx:
        listed = tx.tokens.list()
        assert tx.tokens.active_for("ab" * 32) is None and tx.tokens.role_for("ab" * 32) is None
        active = tx.tokens.active_for("cd" * 32)
        revoked = tx.tokens.get("t1")
    assert [(t.id, t.revoked_at) for t in listed] == [("t1", T0 + timedelta(hours=1)), ("t2", None)]
    assert active is not None and (active.id, active.role, active.label) == ("t2", "viewer", "press")
    assert revoked is not None and revoked.revoked and revoked.created_at == T0


def test_an_operator_is_found_by_id_and_exact_email_and_an_email_is_taken_once(store: port.Store) -> None:
    first = Operator("o1", "min@example.com", "admin", "$argon2id$hash", T0)
    with store.write() as tx:
        assert tx.operators.add(first)
        assert not tx.operators.add(Operator("o2", "min@example.com", "viewer", "$argon2id$other", T0))
    with store.read() as tx:
        assert tx.operators.get("o1") == first
        assert tx.operators.by_email("min@example.com") == first
        assert tx.operators.get("o2") is None and tx.operators.by_email("MIN@example.com") is None


def test_audit_entries_come_back_in_order_with_their_actor_and_details(store: port.Store) -> None:
    with store.write() as tx:
        tx.audit.add(T0, None, "token.created", {"token": "t1", "role": "admin", "label": ""})
        tx.audit.add(T0 + timedelta(minutes=1), "t1", "token.revoked", {"token": "t2", "role": "viewer"})
    with store.read() as tx:
        entries = tx.audit.entries()
        newest = tx.audit.entries(limit=1)
    assert [(e.seq, e.actor, e.action) for e in entries] == [
        (1, None, "token.created"),
        (2, "t1", "token.revoked"),
    ]
    assert entries[1].at == T0 + timedelta(minutes=1)
    assert entries[1].details == {"token": "t2", "role": "viewer"}
    assert [e.seq for e in newest] == [2]


def test_new_titles_replace_a_launchs_and_a_milestones_and_nothing_else(store: port.Store) -> None:
    milestone = Milestone(
        id=f"{LAUNCH.slug}.preorder",
        launch_slug=LAUNCH.slug,
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders"},
    )
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(milestone)
    with store.write() as tx:
        tx.launches.set_titles(LAUNCH.slug, {"en": "iPad (KT)"})
        tx.milestones.set_titles(milestone.id, {"ko": "예약 판매"})
    with store.read() as tx:
        assert tx.launches.get(LAUNCH.slug) == replace(LAUNCH, titles={"en": "iPad (KT)"})
        assert tx.milestones.get(milestone.id) == replace(milestone, titles={"ko": "예약 판매"})


def test_launches_list_oldest_first(store: port.Store) -> None:
    later = replace(LAUNCH, slug="iphone-kt-2010")
    with store.write() as tx:
        tx.launches.add(later, T0 + timedelta(days=1))
        tx.launches.add(LAUNCH, T0)
    with store.read() as tx:
        assert [launch.slug for launch in tx.launches.list()] == [LAUNCH.slug, later.slug]
        assert tx.launches.exists(later.slug) and not tx.launches.exists("nope")


def test_milestones_keep_the_order_they_were_added_in_per_launch(store: port.Store) -> None:
    other = replace(LAUNCH, slug="a-first-by-slug")
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.launches.add(other, T0)
        for key in ("sale", "preorder", "delivery"):
            tx.milestones.add(milestone(key))
        tx.milestones.add(milestone("sale", other.slug))
    with store.read() as tx:
        assert [m.key for m in tx.milestones.for_launch(LAUNCH.slug)] == ["sale", "preorder", "delivery"]
        assert [m.id for m in tx.milestones.all()] == [
            "a-first-by-slug.sale",
            f"{LAUNCH.slug}.sale",
            f"{LAUNCH.slug}.preorder",
            f"{LAUNCH.slug}.delivery",
        ]
        assert tx.milestones.get("nope") is None


def test_a_new_promise_version_and_an_occurrence_are_added_to_what_is_stored(store: port.Store) -> None:
    first, v1 = milestone("preorder").revise(
        Promise.parse("2010-11-09", "Asia/Seoul", "day"), policy=LAUNCH.policy, now=T0
    )
    second, v2 = first.revise(
        Promise.parse("2010-11-10", "Asia/Seoul", "day"),
        policy=LAUNCH.policy,
        now=T0,
        override=Override({"en": "asked for"}),  # no reason given: the override covers that
    )
    happened = second.occur(datetime(2010, 11, 10, 1, tzinfo=UTC), T0 + timedelta(days=9), "on time")
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(first)
    with store.write() as tx:
        tx.milestones.add_version(v2)
        tx.milestones.record_occurrence(happened)
    with store.read() as tx:
        assert tx.milestones.get(first.id) == happened
        assert [v.version for v in happened.versions] == [v1.version, v2.version] == [1, 2]


def test_a_broken_promise_version_is_marked_once(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(milestone("preorder"))
    with store.write() as tx:
        first = tx.milestones.mark_broken(f"{LAUNCH.slug}.preorder", 1)
        again = tx.milestones.mark_broken(f"{LAUNCH.slug}.preorder", 1)
        later = tx.milestones.mark_broken(f"{LAUNCH.slug}.preorder", 2)
        older = tx.milestones.mark_broken(f"{LAUNCH.slug}.preorder", 1)
    assert (first, again, later, older) == (True, False, True, False)


def test_a_published_notice_is_never_saved_over_and_its_newest_correction_is_found(
    store: port.Store,
) -> None:
    original, correction, again = notice("n1"), notice("n2", supersedes="n1"), notice("n3", supersedes="n1")
    with store.write() as tx:
        for n in (original, correction, again):
            tx.notices.add(n)
        assert tx.notices.save(replace(original, titles={"en": "retitled"}))
        assert tx.notices.save(original.publish(T0), ledger_seq=7)
        assert not tx.notices.save(replace(original.publish(T0), titles={"en": "after"}), ledger_seq=9)
        assert not tx.notices.save(notice("unknown"))
    with store.read() as tx:
        assert tx.notices.superseded_by("n1") is None  # the corrections are drafts
        assert tx.notices.published_with_seq(0) == [(7, original.publish(T0))]
    with store.write() as tx:
        tx.notices.save(again.publish(T0 + timedelta(minutes=1)), ledger_seq=8)
        tx.notices.save(correction.publish(T0 + timedelta(minutes=1)), ledger_seq=9)
    with store.read() as tx:
        assert tx.notices.superseded_by("n1") == correction.publish(T0 + timedelta(minutes=1))
        assert tx.notices.get("nope") is None


def test_published_notices_filter_by_launch_and_kind_and_page_by_offset(store: port.Store) -> None:
    other = replace(LAUNCH, slug="iphone-kt-2010")
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.launches.add(other, T0)
        for i, (slug, kind) in enumerate(
            [
                (LAUNCH.slug, NoticeKind.GENERAL),
                (other.slug, NoticeKind.GENERAL),
                (LAUNCH.slug, NoticeKind.APOLOGY),
            ]
            * 2
        ):
            n = replace(notice(f"n{i}", launch_slug=slug), kind=kind)
            tx.notices.add(n)
            tx.notices.save(n.publish(T0 + timedelta(minutes=i)), ledger_seq=i + 1)
        tx.notices.add(notice("draft", launch_slug=LAUNCH.slug))
    with store.read() as tx:
        mine = tx.notices.published(launch_slug=LAUNCH.slug)
        assert [n.id for n in mine] == ["n5", "n3", "n2", "n0"]
        assert [n.id for n in tx.notices.published(kind=NoticeKind.APOLOGY)] == ["n5", "n2"]
        assert [n.id for n in tx.notices.published(limit=2, offset=1)] == ["n4", "n3"]
        assert [n.id for n in tx.notices.published(offset=5)] == ["n0"]
        assert tx.notices.published_seq_before(4) == 3 and tx.notices.published_seq_before(1) is None
        assert tx.notices.latest_published_at() == T0 + timedelta(minutes=5)
        assert [n.id for n in tx.notices.all(LAUNCH.slug)] == ["draft", "n0", "n2", "n3", "n5"]
        assert [seq for seq, _ in tx.notices.published_with_seq(2, limit=3)] == [3, 4, 5]


def test_all_notices_are_listed_oldest_first(store: port.Store) -> None:
    with store.write() as tx:
        for i, notice_id in enumerate(["c", "b", "a"]):
            tx.notices.add(notice(notice_id, created_at=T0 + timedelta(minutes=i // 2)))
    with store.read() as tx:
        assert [n.id for n in tx.notices.all()] == ["b", "c", "a"]  # by time, then by id
        assert tx.notices.next_due_at() is None and tx.notices.latest_published_at() is None


def test_a_cadences_pending_and_last_published_notices(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.cadences.add(CADENCE, T0)
        for i in range(4):
            n = notice(f"n{i}", created_at=T0 + timedelta(minutes=i), cadence_id=CADENCE.id)
            tx.notices.add(n)
            if i < 2:
                tx.notices.save(n.publish(T0 + timedelta(hours=i)), ledger_seq=i + 1)
        tx.notices.add(notice("elsewhere", created_at=T0))
    with store.read() as tx:
        assert [n.id for n in tx.notices.pending_for_cadence(CADENCE.id)] == ["n2", "n3"]
        last = tx.notices.last_published_for_cadence(CADENCE.id)
        assert last is not None and last.id == "n1"
        assert tx.notices.last_published_for_cadence("nope") is None


def test_a_cadence_moves_its_slot_and_ends_once(store: port.Store) -> None:
    later = replace(CADENCE, id="c2", last_slot_at=None)
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.cadences.add(CADENCE, T0)
        tx.cadences.add(later, T0 + timedelta(days=1))
    with store.write() as tx:
        tx.cadences.mark_slot(CADENCE.id, T0 + timedelta(days=3))
        ended, again, unknown = (
            tx.cadences.deactivate("c2"),
            tx.cadences.deactivate("c2"),
            tx.cadences.deactivate("x"),
        )
    with store.read() as tx:
        assert (ended, again, unknown) == (True, False, False)
        assert tx.cadences.active() == [replace(CADENCE, last_slot_at=T0 + timedelta(days=3))]
        assert tx.cadences.active("other-launch") == []
        stopped = tx.cadences.get("c2")
        assert stopped is not None and stopped.last_slot_at == T0 + timedelta(days=1)  # from its creation


def test_the_ledger_reads_after_a_seq_and_keeps_signed_checkpoints(store: port.Store) -> None:
    with store.write() as tx:
        entries = [tx.ledger.append(T0, "act", {"i": i}) for i in range(5)]
        tx.ledger.add_signing_key("k1", "private", "public", T0)
        tx.ledger.add_signing_key("k2", "newer", "newer", T0 + timedelta(days=1))
        tx.ledger.add_checkpoint(3, entries[2].hash, "sig3", "k1", T0)
        tx.ledger.add_checkpoint(5, entries[4].hash, "sig5", "k1", T0)
    with store.read() as tx:
        assert tx.ledger.head() == entries[-1]
        assert tx.ledger.head_seq() == entries[-1].seq
        assert list(tx.ledger.entries(after=1, limit=2)) == entries[1:3]
        assert list(tx.ledger.entries(after=5)) == []
        assert tx.ledger.checkpoints() == [
            Checkpoint(3, entries[2].hash, "sig3", "k1", T0),
            Checkpoint(5, entries[4].hash, "sig5", "k1", T0),
        ]
        assert tx.ledger.latest_checkpoint_seq() == 5
        assert tx.ledger.signing_key() == SigningKey("k1", "private", "public", T0)


def test_an_empty_ledger_has_no_head_checkpoint_or_key(store: port.Store) -> None:
    with store.read() as tx:
        assert tx.ledger.head() is None and list(tx.ledger.entries()) == []
        assert tx.ledger.head_seq() == 0
        assert tx.ledger.latest_checkpoint_seq() == 0 and tx.ledger.checkpoints() == []
        assert tx.ledger.signing_key() is None


def test_a_write_is_seen_by_readers_only_once_committed(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        with store.read() as reader:
            assert reader.launches.get(LAUNCH.slug) is None
    with store.read() as reader:
        assert reader.launches.get(LAUNCH.slug) == LAUNCH


def test_an_unflushed_write_commits_like_a_write_and_a_flush_then_returns(store: port.Store) -> None:
    with store.write_unflushed() as tx:
        tx.launches.add(LAUNCH, T0)
        with store.read() as reader:
            assert reader.launches.get(LAUNCH.slug) is None
    store.flush()
    with store.read() as reader:
        assert reader.launches.get(LAUNCH.slug) == LAUNCH
    with pytest.raises(RuntimeError), store.write_unflushed() as tx:
        tx.ledger.append(T0, "act", {})
        raise RuntimeError("rolled back")
    store.flush()
    with store.read() as reader:
        assert reader.ledger.head_seq() == 0


def test_on_sqlite_only_unflushed_writes_leave_the_log_to_the_flush(sqlite_store: Store) -> None:
    # FULL syncs the log at each commit; NORMAL leaves it to Store.flush (the reservation writer).
    writes = (sqlite_store.write_unflushed, sqlite_store.write, sqlite_store.write_unflushed)
    for write, expected in zip(writes, (1, 2, 1), strict=True):
        with write() as tx:
            assert tx.connection.exec_driver_sql("PRAGMA synchronous").scalar() == expected
    sqlite_store.flush()


def test_on_postgresql_only_unflushed_writes_commit_without_waiting_for_the_log(
    postgresql_store: Store,
) -> None:
    # The writer's kept connection is set once for its session; no other write ever gets it, not
    # even after a failed batch has dropped it.
    def setting(tx: Transaction) -> str:
        return str(tx.connection.exec_driver_sql("SHOW synchronous_commit").scalar())

    writes = (postgresql_store.write_unflushed, postgresql_store.write, postgresql_store.write_unflushed)
    for write, expected in zip(writes, ("off", "on", "off"), strict=True):
        with write() as tx:
            assert setting(tx) == expected
    with pytest.raises(RuntimeError), postgresql_store.write_unflushed() as tx:
        raise RuntimeError("a batch failed")
    for _ in range(3):  # whichever pooled connection each takes
        with postgresql_store.write() as tx:
            assert setting(tx) == "on"
    with postgresql_store.write_unflushed() as tx:
        assert setting(tx) == "off"
    postgresql_store.flush()
    postgresql_store.close()  # the kept connection too


def test_after_commit_callbacks_run_once_committed_and_never_after_a_failure(store: port.Store) -> None:
    heard: list[str] = []
    with store.write() as tx:
        tx.after_commit.append(lambda: heard.append("committed"))
        assert heard == []
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.after_commit.append(lambda: heard.append("rolled back"))
        raise RuntimeError("boom")
    assert heard == ["committed"]


def test_a_held_leader_lock_leads_until_released(store: port.Store) -> None:
    lock = store.leader_lock()
    try:
        assert lock.hold() and lock.leading
        assert lock.hold()  # holding again keeps the lead
    finally:
        lock.release()
    lock.release()  # releasing what is not held is harmless


def test_claims_return_what_is_stored_and_none_for_nothing(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.milestones.add(milestone("preorder"))
        tx.notices.add(notice("n1", cadence_id=CADENCE.id))
        tx.cadences.add(CADENCE, T0)
    with store.write() as tx:
        assert tx.launches.claim(LAUNCH.slug) == LAUNCH and tx.launches.claim("nope") is None
        assert tx.milestones.claim(f"{LAUNCH.slug}.preorder") == milestone("preorder")
        assert tx.milestones.claim("nope") is None
        assert tx.notices.claim("n1") == notice("n1", cadence_id=CADENCE.id)
        assert tx.notices.claim("nope") is None
        assert tx.notices.claim_pending_for_cadence(CADENCE.id) == [notice("n1", cadence_id=CADENCE.id)]
        assert tx.cadences.claim_active(CADENCE.id) == CADENCE and tx.cadences.claim_active("nope") is None
        tx.ledger.lock()
        tx.ledger.lock()  # held already: nothing more to take


def test_a_taken_slug_and_a_recorded_occurrence_are_not_written_over(store: port.Store) -> None:
    preorder = milestone("preorder")
    with store.write() as tx:
        assert tx.launches.add(LAUNCH, T0)
        assert not tx.launches.add(replace(LAUNCH, titles={"en": "Other"}), T0 + timedelta(hours=1))
        tx.milestones.add(preorder)
        assert tx.milestones.record_occurrence(preorder.occur(T0, T0))
        assert not tx.milestones.record_occurrence(preorder.occur(T0 - timedelta(hours=1), T0))
    with store.read() as tx:
        occurred = tx.milestones.get(preorder.id)
        assert tx.launches.get(LAUNCH.slug) == LAUNCH
    assert occurred is not None and occurred.occurrence is not None and occurred.occurrence.at == T0


def test_a_cadence_slot_is_marked_once_and_an_ended_cadence_is_not_claimed(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.cadences.add(CADENCE, T0)
    with store.write() as tx:
        assert tx.cadences.mark_slot(CADENCE.id, T0 + timedelta(days=1))
        assert not tx.cadences.mark_slot(CADENCE.id, T0 + timedelta(days=1))
        assert not tx.cadences.mark_slot(CADENCE.id, T0)
        assert not tx.cadences.mark_slot("nope", T0)
        assert tx.cadences.deactivate(CADENCE.id)
        assert tx.cadences.claim_active(CADENCE.id) is None


def test_a_write_the_schema_refuses_is_a_conflict_and_leaves_nothing_behind(store: port.Store) -> None:
    with store.write() as tx:
        tx.notices.add(notice("n1"))

    with pytest.raises(Conflict) as refused, store.write() as tx:
        tx.ledger.append(T0, "act", {})
        tx.notices.add(notice("n1"))  # its id is taken

    assert refused.value.code == "write.conflict"
    with store.read() as tx:
        assert tx.ledger.head() is None


def reservation(sequence: int, **fields: Any) -> Reservation:
    made = Reservation(
        launch_slug=LAUNCH.slug,
        sequence=sequence,
        code=f"r{sequence}",
        secret_hash="0" * 64,
        idempotency_key=f"key-{sequence}",
        fingerprint="f" * 64,
        sku="wifi-16",
        quantity=1,
        contact=f"c{sequence}@example.com",
        pickup_store=None,
        state=ReservationState.QUEUED,
        created_at=T0,
    )
    return made._replace(**fields)


def test_reservations_come_back_as_stored_and_in_sequence_order(store: port.Store) -> None:
    first, second = reservation(1, pickup_store="gangnam"), reservation(2, state=ReservationState.WAITLISTED)
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many([second, first])

    with store.read() as tx:
        assert tx.reservations.get("r1") == first
        assert tx.reservations.for_launch(LAUNCH.slug) == [first, second]
        assert tx.reservations.for_launch(LAUNCH.slug, ReservationState.WAITLISTED) == [second]
        assert tx.reservations.last_sequence(LAUNCH.slug) == 2
        assert tx.reservations.last_sequence("other") == 0
        assert tx.reservations.by_keys(LAUNCH.slug, {"key-2", "key-9"}) == {"key-2": second}


def test_reservations_keep_every_character_they_were_given(store: port.Store) -> None:
    # Keys and contacts go to PostgreSQL by COPY, whose text format escapes these.
    odd = reservation(
        1,
        idempotency_key="k\\N\\t\"'\\",
        contact="tab\there\\N, new\nline, 약속 \\.",
        pickup_store="\\N",
        language="ko",
    )
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many([odd])
    with store.read() as tx:
        assert tx.reservations.get("r1") == odd
        assert tx.reservations.by_keys(LAUNCH.slug, {odd.idempotency_key}) == {odd.idempotency_key: odd}


def test_on_postgresql_the_writers_reads_of_a_launch_the_statistics_have_not_seen_use_both_columns(
    postgresql_store: Store,
) -> None:
    # An older launch analysed, a newer one not: with the launch as a constant, the planner took
    # the newer one for a row or two and read a batch's contacts through the (launch, key) index,
    # filtering every reservation of the launch. auto_explain shows the plan each read ran with.
    old, new = LAUNCH, replace(LAUNCH, slug="newer")
    with postgresql_store.write() as tx:
        for launch in (old, new):
            tx.launches.add(launch, T0)
        tx.reservations.add_many(
            [reservation(n, code=f"o{n}", idempotency_key=f"o{n}") for n in range(1, 3001)]
        )
    with postgresql_store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE reservations")
    made = [
        reservation(n, launch_slug=new.slug, code=f"n{n}", idempotency_key=f"n{n}") for n in range(1, 3001)
    ]
    with postgresql_store.write() as tx:
        tx.reservations.add_many(made)
    plans: list[str] = []
    with postgresql_store.write_unflushed() as tx:
        driver = tx.connection.connection.driver_connection
        driver.add_notice_handler(lambda notice: plans.append(str(notice.message_primary)))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_level = notice",
            "SET auto_explain.log_analyze = on",
        ):
            driver.execute(setting)
        assert tx.reservations.by_keys(new.slug, {"n7", "n9999"}) == {"n7": made[6]}
        assert tx.reservations.units_by_contact(new.slug, {"c7@example.com", "none"}) == {"c7@example.com": 1}
        assert tx.reservations.last_sequence(new.slug) == 3000
    reads = [plan for plan in plans if "reservations" in plan]
    assert len(reads) == 4, plans  # two probes, the key found, the last sequence
    assert all("Rows Removed by Filter" not in plan for plan in reads), reads
    assert "uq_reservations_launch_key" in reads[0] and "ix_reservations_launch_contact" in reads[2]


def test_units_are_counted_per_contact_without_cancelled_and_held_per_sku_without_waitlisted(
    store: port.Store,
) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many(
            [
                reservation(1, contact="a", quantity=2),
                reservation(2, contact="a", quantity=1, state=ReservationState.WAITLISTED),
                reservation(3, contact="b", quantity=1),
            ]
        )
        assert tx.reservations.set_state("r3", ReservationState.CANCELLED, T0)
        assert not tx.reservations.set_state("r3", ReservationState.QUEUED, T0)

    with store.read() as tx:
        assert tx.reservations.units_by_contact(LAUNCH.slug, {"a", "b", "c"}) == {"a": 3}
        assert tx.reservations.units_held(LAUNCH.slug) == {"wifi-16": 2}
        cancelled = tx.reservations.get("r3")
        assert cancelled is not None and cancelled.cancelled_at == T0


def test_units_held_and_the_tally_follow_every_change_of_state_as_counting_the_reservations_would(
    store: port.Store,
) -> None:
    def summed(tx: port.Transaction) -> dict[str, int]:
        units: dict[str, int] = {}
        for made in tx.reservations.for_launch(LAUNCH.slug, ReservationState.QUEUED):
            units[made.sku] = units.get(made.sku, 0) + made.quantity
        return units

    def counted(tx: port.Transaction) -> tuple[object, ...]:
        made = tx.reservations.for_launch(LAUNCH.slug)
        seconds = Counter(m.created_at.replace(microsecond=0) for m in made)
        return Counter(m.state for m in made), seconds, min(m.created_at for m in made)

    def tallied(tx: port.Transaction) -> tuple[object, ...]:
        tally = tx.reservations.tally(LAUNCH.slug)
        return Counter(tally.by_state), Counter(tally.per_second), tally.first_created

    waitlisted, later = ReservationState.WAITLISTED, T0 + timedelta(seconds=1, microseconds=1)
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many([reservation(1, quantity=2), reservation(2, sku="lte-32")])
        tx.reservations.add_many(
            [reservation(3, quantity=4, state=waitlisted, created_at=later), reservation(4)]
        )
        assert tx.reservations.units_held(LAUNCH.slug) == summed(tx) == {"wifi-16": 3, "lte-32": 1}
        assert tallied(tx) == counted(tx)
    steps = [
        ("r1", ReservationState.CANCELLED, {"wifi-16": 1, "lte-32": 1}),
        ("r3", ReservationState.QUEUED, {"wifi-16": 5, "lte-32": 1}),  # promoted from the waitlist
        ("r1", ReservationState.QUEUED, {"wifi-16": 5, "lte-32": 1}),  # a cancelled one stays so
        ("r2", ReservationState.CANCELLED, {"wifi-16": 5}),
        ("r3", ReservationState.QUEUED, {"wifi-16": 5}),  # already queued: nothing moves
    ]
    for code, state, held in steps:
        with store.write() as tx:
            tx.reservations.set_state(code, state, T0)
        with store.read() as tx:
            assert tx.reservations.units_held(LAUNCH.slug) == summed(tx) == held, (code, state)
            assert tallied(tx) == counted(tx), (code, state)
    with store.read() as tx:
        assert tx.reservations.units_held("other") == {}


def test_a_reservation_has_ahead_of_it_those_of_its_state_and_for_a_waitlist_of_its_sku(
    store: port.Store,
) -> None:
    waitlisted, lte = ReservationState.WAITLISTED, "lte-32"
    made = [
        reservation(1),
        reservation(2, state=waitlisted),
        reservation(3, state=waitlisted, sku=lte),
        reservation(4, state=ReservationState.CANCELLED),
        reservation(5),
        reservation(6, state=waitlisted),
        reservation(7, launch_slug="other", code="o7"),
    ]
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.launches.add(replace(LAUNCH, slug="other"), T0)
        tx.reservations.add_many(made)
    with store.read() as tx:
        ahead = tx.reservations.ahead_of
        assert [ahead(made[0]), ahead(made[4])] == [0, 1]  # the queued line: r1, r5
        assert [ahead(made[5]), ahead(made[5], same_sku=True)] == [2, 1]  # r2 and r3; r2 only
        assert [ahead(made[2], same_sku=True), ahead(made[6])] == [0, 0]


def test_a_place_counts_across_the_blocks_of_a_long_line_and_follows_changes_of_state(
    store: port.Store,
) -> None:
    waitlisted, lte = ReservationState.WAITLISTED, "lte-32"
    sequences = [1, 999, 1000, 1001, 1999, 2000, 2500, 3999, 4000, 7001]
    made = {n: reservation(n, sku=lte if n % 2 else "wifi-16") for n in sequences}
    made |= {n: made[n]._replace(state=waitlisted) for n in (1000, 1999, 4000, 7001)}
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many(list(made.values()))

    def places() -> list[int]:
        with store.read() as tx:
            ahead = tx.reservations.ahead_of
            return [ahead(made[n], same_sku=made[n].state is waitlisted) for n in sequences]

    # queued: 1 999 1001 2000 2500 3999; waitlisted wifi: 1000 4000; waitlisted lte: 1999 7001
    assert places() == [0, 1, 0, 2, 0, 3, 4, 5, 1, 1]
    with store.read() as tx:  # a line is read from its first block with anyone in it
        line = tx.reservations.for_launch
        assert [r.sequence for r in line(LAUNCH.slug, waitlisted, sku=lte)] == [1999, 7001]
        assert [r.sequence for r in line(LAUNCH.slug, waitlisted, after=1000)] == [1999, 4000, 7001]
        assert [r.sequence for r in line(LAUNCH.slug, waitlisted, after=4000, limit=1)] == [7001]
    with store.write() as tx:
        tx.reservations.set_state("r999", ReservationState.CANCELLED, T0)
        tx.reservations.set_state("r1000", ReservationState.QUEUED, T0)
    made[1000] = made[1000]._replace(state=ReservationState.QUEUED)
    # queued: 1 1000 1001 2000 2500 3999 (r999 cancelled); waitlisted wifi: 4000; lte: 1999 7001
    assert [p for n, p in zip(sequences, places(), strict=True) if n != 999] == [0, 1, 2, 0, 3, 4, 5, 0, 1]


@pytest.mark.parametrize("taken", [{"sequence": 1}, {"idempotency_key": "key-1"}])
def test_a_sequence_or_idempotency_key_is_taken_once_per_launch(
    store: port.Store, taken: dict[str, Any]
) -> None:
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many([reservation(1)])

    with pytest.raises(Conflict), store.write() as tx:
        tx.reservations.add_many([reservation(2)._replace(**taken)])
    with store.read() as tx:
        assert tx.reservations.last_sequence(LAUNCH.slug) == 1


def test_subscriptions_page_in_id_order_and_disable_once(store: port.Store) -> None:
    from yaksok.domain.subscription import Subscription

    made = [
        Subscription(
            id=f"s_{n}",
            channel="webhook",
            target="https://example.com/h",
            secret="whsec_x",
            language="en",
            created_at=T0 + timedelta(seconds=n),
        )
        for n in (3, 1, 2)
    ]
    with store.write() as tx:
        tx.subscriptions.add_many(made)
    with store.read() as tx:
        assert [
            s.id for s in tx.subscriptions.page(after="s_1", created_by=T0 + timedelta(seconds=2), limit=5)
        ] == ["s_2"]
        assert [
            s.id for s in tx.subscriptions.page(after="", created_by=T0 + timedelta(days=1), limit=2)
        ] == [
            "s_1",
            "s_2",
        ]
    with store.write() as tx:
        assert tx.subscriptions.disable("s_1", T0, "410 Gone")
        assert not tx.subscriptions.disable("s_1", T0, "410 Gone")
    with store.read() as tx:
        found = tx.subscriptions.get("s_1")
        assert found is not None and found.disabled_at == T0 and found.disabled_reason == "410 Gone"


def test_deliveries_due_for_retry_are_claimed_earliest_first_and_saved(store: port.Store) -> None:
    from yaksok.domain.delivery import Delivery, DeliveryStatus

    def pending(n: int, due: datetime) -> Delivery:
        return Delivery(
            id=f"msg_n.s_{n}",
            notice_id="n",
            subscription_id=f"s_{n}",
            channel="webhook",
            status=DeliveryStatus.PENDING,
            attempts=1,
            publish_at=T0,
            next_attempt_at=due,
        )

    with store.write() as tx:
        tx.deliveries.add_many([pending(1, T0 + timedelta(minutes=2)), pending(2, T0 + timedelta(minutes=1))])
    with store.write() as tx:
        due = tx.deliveries.claim_due(T0 + timedelta(minutes=5), limit=10)
        assert [d.id for d in due] == ["msg_n.s_2", "msg_n.s_1"]
        done = replace(
            due[0], status=DeliveryStatus.DELIVERED, attempts=2, delivered_at=T0 + timedelta(minutes=1)
        )
        tx.deliveries.save_many([done])
    with store.read() as tx:
        assert tx.deliveries.claim_due(T0 + timedelta(minutes=5), limit=10)[0].id == "msg_n.s_1"
        [delivered] = tx.deliveries.for_subscription("s_2")
        assert delivered.status is DeliveryStatus.DELIVERED and delivered.latency == timedelta(minutes=1)
        assert len(tx.deliveries.for_notice("n")) == 2


def test_a_subscription_held_for_confirmation_is_sent_to_only_once_confirmed(store: port.Store) -> None:
    from yaksok.domain.subscription import Subscription

    def held(n: int) -> Subscription:
        return Subscription(
            id=f"s_{n}", channel="email", target=f"r{n}@example.com", secret="", language="en",
            created_at=T0, awaiting_confirmation=True,
        )  # fmt: skip

    with store.write() as tx:
        tx.subscriptions.add_many([held(1), held(2)])
        assert tx.subscriptions.recipients(after="", created_by=T0, limit=5) == []
        assert tx.subscriptions.confirm("s_1")
        assert not tx.subscriptions.confirm("s_1")
        assert tx.subscriptions.disable("s_2", T0, "unsubscribed")
        assert not tx.subscriptions.confirm("s_2")
        assert not tx.subscriptions.confirm("s_9")
    with store.read() as tx:
        assert [r.id for r in tx.subscriptions.recipients(after="", created_by=T0, limit=5)] == ["s_1"]


def test_only_a_paused_subscription_resumes_and_a_new_secret_is_kept(store: port.Store) -> None:
    from yaksok.domain.subscription import Subscription

    def webhook(n: int) -> Subscription:
        return Subscription(
            id=f"s_{n}", channel="webhook", target="http://93.184.216.34/", secret="whsec_a", language="en",
            created_at=T0,
        )  # fmt: skip

    with store.write() as tx:
        tx.subscriptions.add_many([webhook(1), webhook(2)])
        assert not tx.subscriptions.resume("s_1")
        assert tx.subscriptions.pause("s_1", T0)
        assert not tx.subscriptions.pause("s_1", T0)
        assert tx.subscriptions.get("s_1") == replace(webhook(1), paused_at=T0)
        assert tx.subscriptions.recipients(after="", created_by=T0, limit=5)[0].id == "s_2"
        assert tx.subscriptions.disable("s_2", T0, "410 Gone")
        assert not tx.subscriptions.pause("s_2", T0)
        assert tx.subscriptions.resume("s_1")
        assert not tx.subscriptions.resume("s_2")
        assert not tx.subscriptions.resume("s_9")
        assert tx.subscriptions.set_secret("s_1", "whsec_b", "whsec_a", T0 + timedelta(hours=24))
        assert not tx.subscriptions.set_secret("s_9", "whsec_b")
    with store.read() as tx:
        found = tx.subscriptions.get("s_1")
        assert found is not None and (found.paused_at, found.secret, found.previous_secret) == (
            None,
            "whsec_b",
            "whsec_a",
        )
        assert found.previous_secret_until == T0 + timedelta(hours=24)
        [recipient] = tx.subscriptions.recipients(after="", created_by=T0, limit=5)
        assert (recipient.id, recipient.previous_secret, recipient.previous_secret_until) == (
            "s_1",
            "whsec_a",
            T0 + timedelta(hours=24),
        )


def test_a_paused_or_unconfirmed_subscription_can_still_be_disabled_and_every_field_is_saved(
    store: port.Store,
) -> None:
    from yaksok.domain.subscription import Subscription

    paused = Subscription(
        id="s_1", channel="email", target="a@example.com", secret="tok", language="ko", created_at=T0,
        paused_at=T0,
    )  # fmt: skip
    held = replace(paused, id="s_2", paused_at=None, awaiting_confirmation=True)
    with store.write() as tx:
        tx.subscriptions.add_many([paused, held])
        assert tx.subscriptions.disable("s_1", T0, "unsubscribed")
        assert tx.subscriptions.disable("s_2", T0, "unsubscribed")
        assert not tx.subscriptions.confirm("s_2")
        assert not tx.subscriptions.resume("s_1")
    later = T0 + timedelta(days=3)
    changed = replace(
        held,
        language="en",
        launches=("ipad",),
        contact="ops@example.com",
        failing_since=T0,
        failure_warned_at=later,
        disabled_at=None,
        disabled_reason="",
        awaiting_confirmation=False,
    )
    with store.write() as tx:
        assert tx.subscriptions.save(changed)
        assert not tx.subscriptions.save(replace(changed, id="s_9"))
    with store.read() as tx:
        assert tx.subscriptions.get("s_2") == changed
        assert [s.state for s in tx.subscriptions.page(after="", created_by=T0, limit=5)] == [
            "disabled",
            "active",
        ]


def test_recipients_are_the_enabled_subscriptions_with_their_filters_in_id_order(store: port.Store) -> None:
    from yaksok.domain.notice import NoticeKind
    from yaksok.domain.subscription import Recipient, Subscription

    def made(n: int, **fields: Any) -> Subscription:
        return Subscription(
            id=f"s_{n}", channel="webhook", target=f"https://example.com/{n}", secret=f"whsec_{n}",
            language="ko", created_at=T0, **fields,
        )  # fmt: skip

    with store.write() as tx:
        tx.subscriptions.add_many(
            [made(3, launches=("ipad",), kinds=(NoticeKind.CHANGE,)), made(1), made(2), made(4)]
        )
        tx.subscriptions.disable("s_2", T0, "410 Gone")
    with store.read() as tx:
        found = tx.subscriptions.recipients(after="", created_by=T0, limit=2)
        later = tx.subscriptions.recipients(after="s_1", created_by=T0, limit=5)
    assert found == [
        Recipient("s_1", "webhook", "https://example.com/1", "whsec_1", "ko", (), ()),
        Recipient(
            "s_3", "webhook", "https://example.com/3", "whsec_3", "ko", ("ipad",), (NoticeKind.CHANGE,)
        ),
    ]
    assert [r.id for r in later] == ["s_3", "s_4"]


def test_leased_deliveries_are_pending_until_their_lease_and_are_marked_delivered_together(
    store: port.Store,
) -> None:
    from yaksok.domain.delivery import DeliveryStatus

    until = T0 + timedelta(minutes=1)
    with store.write() as tx:
        tx.deliveries.add_leased(
            "n", T0, until, [("msg_n.s_1", "s_1", "webhook"), ("msg_n.s_2", "s_2", "webhook")]
        )
    with store.read() as tx:
        assert [d.id for d in tx.deliveries.claim_due(until - timedelta(seconds=1), limit=10)] == []
        leased = tx.deliveries.for_notice("n")
    assert [(d.status, d.attempts, d.publish_at, d.next_attempt_at) for d in leased] == [
        (DeliveryStatus.PENDING, 0, T0, until)
    ] * 2
    at = T0 + timedelta(milliseconds=1500)
    with store.write() as tx:
        tx.deliveries.mark_delivered([("msg_n.s_1", at)])
    with store.read() as tx:
        first, second = tx.deliveries.for_notice("n")
        assert [d.id for d in tx.deliveries.claim_due(until, limit=10)] == ["msg_n.s_2"]
    assert (first.status, first.attempts, first.next_attempt_at) == (DeliveryStatus.DELIVERED, 1, None)
    assert first.latency == timedelta(milliseconds=1500)
    assert second.status is DeliveryStatus.PENDING


def test_a_page_leased_on_two_channels_and_delivered_at_several_instants_keeps_each_time(
    store: port.Store,
) -> None:
    from yaksok.domain.delivery import DeliveryStatus

    until = T0 + timedelta(minutes=1)
    rows = [(f"msg_n.s_{i}", f"s_{i}", "webhook" if i % 2 else "email") for i in range(1, 7)]
    with store.write() as tx:
        tx.deliveries.add_leased("n", T0, until, rows)
        tx.deliveries.add_leased("m", T0, until, [("other_id_form", "s_1", "webhook")])
        tx.deliveries.mark_delivered(
            [(f"msg_n.s_{i}", T0 + timedelta(milliseconds=i // 2)) for i in range(1, 6)]
            + [("other_id_form", T0)]
        )
    with store.read() as tx:
        found = {d.id: d for d in tx.deliveries.for_notice("n")}
        [other] = tx.deliveries.for_notice("m")
    assert [(d.subscription_id, d.channel) for d in found.values()] == [(s, c) for _, s, c in rows]
    assert [found[f"msg_n.s_{i}"].latency for i in range(1, 6)] == [
        timedelta(milliseconds=i // 2) for i in range(1, 6)
    ]
    assert found["msg_n.s_6"].status is DeliveryStatus.PENDING
    assert (other.status, other.subscription_id, other.latency) == (
        DeliveryStatus.DELIVERED,
        "s_1",
        timedelta(0),
    )


def test_a_recipient_whose_target_holds_a_control_character_is_read_whole(store: port.Store) -> None:
    from yaksok.domain.subscription import Subscription

    odd = Subscription(
        id="s_1", channel="slack", target="https://example.com/\x1e\x1fx", secret="", language="en",
        created_at=T0,
    )  # fmt: skip
    with store.write() as tx:
        tx.subscriptions.add_many([odd, replace(odd, id="s_2", target="https://example.com/2")])
    with store.read() as tx:
        found = tx.subscriptions.recipients(after="", created_by=T0, limit=5)
    assert [(r.id, r.target) for r in found] == [("s_1", odd.target), ("s_2", "https://example.com/2")]


def test_the_last_delivery_to_a_subscription_is_known(store: port.Store) -> None:
    with store.write() as tx:
        tx.deliveries.add_leased(
            "n", T0, T0, [("msg_n.s_1", "s_1", "webhook"), ("msg_n.s_2", "s_2", "webhook")]
        )
        tx.deliveries.mark_delivered([("msg_n.s_1", T0 + timedelta(seconds=3))])
    with store.read() as tx:
        assert tx.deliveries.last_delivered_at("s_1") == T0 + timedelta(seconds=3)
        assert tx.deliveries.last_delivered_at("s_2") is None
        assert tx.deliveries.last_delivered_at("s_9") is None
