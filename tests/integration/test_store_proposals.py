"""The proposal repository's contract, on SQLite, PostgreSQL (when reachable) and the in-memory
fake: a proposal comes back as stored, its decision is kept, and listings filter and keep order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from yaksok.domain.launch import Launch
from yaksok.domain.policy import Policy
from yaksok.domain.review import Proposal, ProposalAction, ProposalState
from yaksok.store import port
from yaksok.store.memory import MemoryStore

T0 = datetime(2010, 11, 1, 9, 30, 15, 123456, tzinfo=UTC)
COMMAND = {"milestone_id": "ipad.sale", "time": "2010-11-09 20:00", "reason": {"ko": "사유", "en": "why"}}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    """A store with two launches: each SQL one, migrated, and the fake."""
    chosen: port.Store = (
        MemoryStore() if request.param == "memory" else request.getfixturevalue(f"{request.param}_store")
    )
    with chosen.write() as tx:
        for slug in ("ipad", "iphone"):
            tx.launches.add(Launch(slug=slug, titles={"en": slug}, zone="Asia/Seoul"), T0)
    return chosen


def proposal(proposal_id: str, launch: str = "ipad", at: datetime = T0) -> Proposal:
    return Proposal(
        id=proposal_id,
        launch_slug=launch,
        action=ProposalAction.REVISE_PROMISE,
        command=COMMAND,
        summary="ipad.sale: promise 2010-11-09 20:00",
        proposed_by="t_editor1",
        proposed_at=at,
    )


def test_a_proposal_comes_back_exactly_as_stored_and_in_utc(store: port.Store) -> None:
    seoul = timezone(timedelta(hours=9))
    with store.write() as tx:
        tx.proposals.add(proposal("p_1", at=T0.astimezone(seoul)))
    with store.read() as tx:
        found = tx.proposals.get("p_1")
        assert tx.proposals.get("p_nope") is None
    assert found == proposal("p_1")
    assert found is not None and found.proposed_at.tzinfo == UTC


def test_a_decision_is_kept_with_who_when_why_and_the_notice(store: port.Store) -> None:
    with store.write() as tx:
        tx.proposals.add(proposal("p_1"))
        tx.proposals.add(proposal("p_2"))
    approved = proposal("p_1").approved("t_editor2", T0 + timedelta(minutes=5), "n_1")
    rejected = proposal("p_2").rejected("t_editor2", T0 + timedelta(minutes=6), "not yet")
    with store.write() as tx:
        claimed = tx.proposals.claim("p_1")
        assert claimed == proposal("p_1")
        tx.proposals.save(approved)
        tx.proposals.save(rejected)
    with store.read() as tx:
        assert tx.proposals.get("p_1") == approved
        assert tx.proposals.get("p_2") == rejected
    assert (approved.state, approved.decided_by, approved.notice_id) == (
        ProposalState.APPROVED,
        "t_editor2",
        "n_1",
    )
    assert (rejected.state, rejected.reason) == (ProposalState.REJECTED, "not yet")


def test_proposals_list_oldest_first_by_state_and_launch(store: port.Store) -> None:
    with store.write() as tx:
        tx.proposals.add(proposal("p_b", at=T0 + timedelta(minutes=2)))
        tx.proposals.add(proposal("p_a", at=T0 + timedelta(minutes=1)))
        tx.proposals.add(proposal("p_c", launch="iphone", at=T0))
    with store.write() as tx:
        claimed = tx.proposals.claim("p_b")
        assert claimed is not None
        tx.proposals.save(claimed.rejected("t_admin", T0 + timedelta(hours=1), "no"))
    with store.read() as tx:
        every = [p.id for p in tx.proposals.list()]
        pending = [p.id for p in tx.proposals.list(state=ProposalState.PENDING)]
        ipad = [p.id for p in tx.proposals.list(launch_slug="ipad")]
        both = [p.id for p in tx.proposals.list(state=ProposalState.REJECTED, launch_slug="ipad")]
    assert every == ["p_c", "p_a", "p_b"]
    assert pending == ["p_c", "p_a"]
    assert ipad == ["p_a", "p_b"]
    assert both == ["p_b"]


def test_a_failed_transaction_stores_no_proposal(store: port.Store) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.proposals.add(proposal("p_1"))
        raise RuntimeError("the use case failed")
    with store.read() as tx:
        assert tx.proposals.list() == []


def test_the_review_setting_is_kept_with_the_launchs_policy(store: port.Store) -> None:
    with store.write() as tx:
        tx.launches.set_policy("ipad", replace(Policy(), review_required=True))
    with store.read() as tx:
        ipad, iphone = tx.launches.get("ipad"), tx.launches.get("iphone")
    assert ipad is not None and ipad.policy.review_required is True
    assert iphone is not None and iphone.policy.review_required is False
