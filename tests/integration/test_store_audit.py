"""Storage contract for operator administration (tokens, the audit trail), on SQLite and
PostgreSQL, and the migration that moved token administration out of the public ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command

from yaksok.domain.ledger import verify_chain
from yaksok.store.engine import alembic_config, upgrade
from yaksok.store.unit_of_work import Store

T0 = datetime(2010, 11, 1, 3, 4, 5, 678000, tzinfo=UTC)


def test_migrating_from_0003_copies_each_token_into_the_audit_trail_and_keeps_the_ledger(
    bare_engine: sa.Engine,
) -> None:
    with bare_engine.connect().execution_options(yaksok_write=True) as connection, connection.begin():
        command.upgrade(alembic_config(connection), "0003")
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


def test_audit_entries_come_back_in_order_with_their_actor_and_details(store: Store) -> None:
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
    assert entries[1].at == T0 + timedelta(minutes=1) and entries[1].details == {
        "token": "t2",
        "role": "viewer",
    }
    assert [e.seq for e in newest] == [2]


def test_a_revoked_token_is_listed_with_its_date_and_no_longer_found_by_its_hash(store: Store) -> None:
    with store.write() as tx:
        tx.tokens.add("t1", "ab" * 32, "editor", "ops", T0)
        tx.tokens.add("t2", "cd" * 32, "viewer", "press", T0 + timedelta(seconds=1))
    with store.write() as tx:
        assert tx.tokens.revoke("t1", T0 + timedelta(hours=1))
        assert not tx.tokens.revoke("t1", T0 + timedelta(hours=2))
        assert not tx.tokens.revoke("t_unknown", T0)
    with store.read() as tx:
        listed = tx.tokens.list()
        assert tx.tokens.active_for("ab" * 32) is None
        active = tx.tokens.active_for("cd" * 32)
    assert [(t.id, t.revoked_at) for t in listed] == [("t1", T0 + timedelta(hours=1)), ("t2", None)]
    assert active is not None and (active.id, active.role, active.label) == ("t2", "viewer", "press")
