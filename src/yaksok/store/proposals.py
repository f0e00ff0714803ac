"""Proposals: changes waiting for a second operator's review."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.review import Proposal, ProposalAction, ProposalState
from yaksok.store import port
from yaksok.store.tables import proposals


class ProposalRepository(port.ProposalRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, proposal: Proposal) -> None:
        self._db.execute(insert(proposals).values(**_row(proposal)))

    def get(self, proposal_id: str) -> Proposal | None:
        row = self._db.execute(select(proposals).where(proposals.c.id == proposal_id)).mappings().first()
        return None if row is None else _proposal(row)

    def claim(self, proposal_id: str) -> Proposal | None:
        query = select(proposals).where(proposals.c.id == proposal_id).with_for_update()
        row = self._db.execute(query).mappings().first()
        return None if row is None else _proposal(row)

    def save(self, proposal: Proposal) -> None:
        values = _row(proposal)
        self._db.execute(update(proposals).where(proposals.c.id == values.pop("id")).values(**values))

    def list(self, *, state: ProposalState | None = None, launch_slug: str | None = None) -> list[Proposal]:
        query = select(proposals).order_by(proposals.c.proposed_at, proposals.c.id)
        if state is not None:
            query = query.where(proposals.c.state == state.value)
        if launch_slug is not None:
            query = query.where(proposals.c.launch_slug == launch_slug)
        return [_proposal(row) for row in self._db.execute(query).mappings()]


def _row(proposal: Proposal) -> dict[str, object]:
    return {
        "id": proposal.id,
        "launch_slug": proposal.launch_slug,
        "action": proposal.action.value,
        "command": dict(proposal.command),
        "summary": proposal.summary,
        "proposed_by": proposal.proposed_by,
        "proposed_at": proposal.proposed_at,
        "state": proposal.state.value,
        "decided_by": proposal.decided_by,
        "decided_at": proposal.decided_at,
        "reason": proposal.reason,
        "notice_id": proposal.notice_id,
    }


def _proposal(row: RowMapping) -> Proposal:
    return Proposal(
        id=row["id"],
        launch_slug=row["launch_slug"],
        action=ProposalAction(row["action"]),
        command=dict(row["command"]),
        summary=row["summary"],
        proposed_by=row["proposed_by"],
        proposed_at=row["proposed_at"],
        state=ProposalState(row["state"]),
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        reason=row["reason"],
        notice_id=row["notice_id"],
    )
