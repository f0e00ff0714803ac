"""A proposal's decision: approved by another operator only, decided once, rejected with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.review import Proposal, ProposalAction, ProposalState

T0 = datetime(2010, 11, 1, tzinfo=UTC)
PENDING = Proposal(
    id="p_1",
    launch_slug="ipad",
    action=ProposalAction.PUBLISH_NOTICE,
    command={"notice_id": "n_1"},
    summary="publish n_1",
    proposed_by="t_ed1",
    proposed_at=T0,
)


def test_another_operator_approves_a_pending_proposal() -> None:
    approved = PENDING.approved("t_ed2", T0, "n_1")
    assert (approved.state, approved.decided_by, approved.notice_id) == (
        ProposalState.APPROVED,
        "t_ed2",
        "n_1",
    )


def test_the_proposer_cannot_approve_their_own_proposal_but_may_withdraw_it() -> None:
    with pytest.raises(Conflict) as refused:
        PENDING.approved("t_ed1", T0, None)
    assert refused.value.code == "review.own_proposal"
    assert PENDING.rejected("t_ed1", T0, "typo").state is ProposalState.REJECTED


def test_a_decided_proposal_is_decided_once() -> None:
    for decided in (PENDING.approved("t_ed2", T0, None), PENDING.rejected("t_ed2", T0, "no")):
        with pytest.raises(Conflict) as again:
            decided.approved("t_ed3", T0, None)
        assert again.value.code == "review.not_pending"


def test_a_rejection_needs_a_reason() -> None:
    with pytest.raises(InvalidInput) as refused:
        PENDING.rejected("t_ed2", T0, "   ")
    assert refused.value.code == "invalid.text_required"
