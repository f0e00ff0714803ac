"""Proposing a change for review: where the services that make public changes (services.launches,
services.notices) decide whether it waits for a second operator. Approval and rejection are in
services.reviews, which carries the change out through the same services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import TypeVar

import msgspec

from yaksok.domain.launch import Launch
from yaksok.domain.ledger import JSON
from yaksok.domain.notice import Notice
from yaksok.domain.review import Proposal, ProposalAction
from yaksok.services import audit_trail
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

T = TypeVar("T")


def needs_review(rt: Runtime, launch: Launch | None) -> bool:
    """Whether a change to ``launch`` asked now must wait for review: the launch asks for it, an
    operator asks (through the admin API or the console; the server's command line and the
    scheduler act directly) and it is not the approval of a proposal being carried out."""
    return (
        launch is not None and launch.policy.review_required and rt.actor is not None and rt.reviewed is None
    )


def encode(command: object) -> dict[str, JSON]:
    """A command as the proposal keeps it (services.reviews decodes it on approval)."""
    encoded = msgspec.to_builtins(command)
    assert isinstance(encoded, dict)
    return encoded


def notice_content(notice: Notice) -> dict[str, JSON]:
    """What a reviewer approves of a notice: approval is refused if it changed since."""
    return encode(
        {
            "kind": notice.kind,
            "titles": notice.titles,
            "bodies": notice.bodies,
            "channels": list(notice.channels),
            "milestones": list(notice.milestone_ids),
            "claim": None if notice.claim is None else notice.claim.to_dict(),
            # In UTC, as the store gives it back: the same instant compares equal on approval.
            "next_update_at": None
            if notice.next_update_at is None
            else notice.next_update_at.astimezone(UTC),
            "supersedes": notice.supersedes,
        }
    )


def propose_in(
    tx: Transaction,
    rt: Runtime,
    launch_slug: str,
    action: ProposalAction,
    command: Mapping[str, JSON],
    summary: str,
    notice_id: str | None = None,
) -> Proposal:
    """Store the change as a proposal, waiting for another operator (noted in the audit trail)."""
    assert rt.actor is not None
    proposal = Proposal(
        id=rt.new_id("p"),
        launch_slug=launch_slug,
        action=action,
        command=dict(command),
        summary=summary,
        proposed_by=rt.actor,
        proposed_at=rt.clock.now(),
        notice_id=notice_id,
    )
    tx.proposals.add(proposal)
    details = {"proposal": proposal.id, "launch": launch_slug, "action": action.value, "summary": summary}
    audit_trail.record(tx, rt, "proposal.made", details, actor=rt.actor)
    return proposal


def done(result: T | Proposal) -> T:
    """The result of a change made directly (by the command line, a replay or a benchmark, which
    are never reviewed)."""
    if isinstance(result, Proposal):
        raise AssertionError(f"a direct change was held for review as {result.id}")
    return result
