"""Two-person review: on a launch that asks for it, an operator's public change (a promise made,
changed or cancelled; a notice published or scheduled) waits as a proposal until another
operator approves it. The approved change is then carried out as if asked at that moment, with
every policy check made again; a rejected one changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from yaksok.domain import codes
from yaksok.domain.errors import Conflict
from yaksok.domain.ledger import JSON
from yaksok.domain.texts import check_texts


class ProposalAction(StrEnum):
    """What a proposal would do once approved."""

    REVISE_PROMISE = "promise.revise"
    CANCEL_MILESTONE = "milestone.cancel"
    PUBLISH_NOTICE = "notice.publish"
    SCHEDULE_NOTICE = "notice.schedule"


class ProposalState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Proposal:
    """A change waiting for review. ``command`` is the change as it was asked (JSON), carried out
    as is on approval; ``proposed_by`` and ``decided_by`` are operator or token ids (not public)."""

    id: str
    launch_slug: str
    action: ProposalAction
    command: Mapping[str, JSON]
    summary: str  # what it would do, in a line, for the reviewer's list
    proposed_by: str
    proposed_at: datetime
    state: ProposalState = ProposalState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str = ""  # why it was rejected
    notice_id: str | None = None  # the notice it published or scheduled (or would)

    def _pending(self) -> None:
        if self.state is not ProposalState.PENDING:
            raise Conflict(
                f"proposal {self.id!r} is already {self.state.value}", code=codes.REVIEW_NOT_PENDING
            )

    def approved(self, by: str, at: datetime, notice_id: str | None) -> Proposal:
        """The proposal approved by ``by``; refused if it is not pending or ``by`` proposed it."""
        self._pending()
        if by == self.proposed_by:
            raise Conflict(
                "a proposal needs another operator's approval: one cannot approve one's own",
                code=codes.REVIEW_OWN_PROPOSAL,
            )
        return replace(self, state=ProposalState.APPROVED, decided_by=by, decided_at=at, notice_id=notice_id)

    def rejected(self, by: str, at: datetime, reason: str) -> Proposal:
        """The proposal rejected by ``by`` for ``reason`` (required: the proposer is told why); its
        proposer may withdraw it so too."""
        self._pending()
        why = check_texts({"en": reason}, "rejection reason")["en"]
        return replace(self, state=ProposalState.REJECTED, decided_by=by, decided_at=at, reason=why)
