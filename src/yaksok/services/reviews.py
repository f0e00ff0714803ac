"""Reviewing proposals: another operator approves a change (carried out then, through the same
services and with the same policy checks as if asked at that moment) or rejects it. Who proposed
and who decided are in the audit trail; the ledger entries of an approved change name its proposal.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

import msgspec

from yaksok.domain import codes
from yaksok.domain.commands import CancelMilestone, RevisePromise
from yaksok.domain.errors import NotFound
from yaksok.domain.review import Proposal, ProposalAction, ProposalState
from yaksok.services import audit_trail, launches, notices, scope
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def proposals(
    rt: Runtime, *, state: ProposalState | None = None, launch_slug: str | None = None
) -> list[Proposal]:
    """Proposals, oldest first; only those in ``state`` or of ``launch_slug`` when given."""
    with rt.store.read() as tx:
        found = tx.proposals.list(state=state, launch_slug=launch_slug)
    return scope.visible(rt, found, lambda p: p.launch_slug)


def proposal(rt: Runtime, proposal_id: str) -> Proposal:
    with rt.store.read() as tx:
        found = _found(tx.proposals.get(proposal_id), proposal_id)
    scope.require_launch(rt, found.launch_slug)
    return found


def _found(found: Proposal | None, proposal_id: str) -> Proposal:
    if found is None:
        raise NotFound(f"no proposal {proposal_id!r}", code=codes.PROPOSAL_NOT_FOUND)
    return found


def approve(rt: Runtime, proposal_id: str) -> Proposal:
    """Approve a pending proposal of another operator and carry it out now, in one transaction:
    a policy refusal (the time has come too close, say) changes nothing and leaves it pending."""
    assert rt.actor is not None, "a proposal is approved by an operator"
    now = rt.clock.now()
    with rt.store.write() as tx:
        pending = _found(tx.proposals.claim(proposal_id), proposal_id)
        scope.require_launch(rt, pending.launch_slug)
        pending.approved(rt.actor, now, None)  # refused here if it is not another's pending proposal
        acting = dataclasses.replace(rt, reviewed=pending.id)
        notice_id = _carry_out(tx, acting, pending)
        approved = pending.approved(rt.actor, now, notice_id)
        tx.proposals.save(approved)
        details = {
            "proposal": approved.id,
            "launch": approved.launch_slug,
            "action": approved.action.value,
            "proposed_by": approved.proposed_by,
            "approved_by": rt.actor,
            "notice": notice_id,
        }
        audit_trail.record(tx, rt, "proposal.approved", details, actor=rt.actor)
    return approved


def reject(rt: Runtime, proposal_id: str, reason: str) -> Proposal:
    """Reject a pending proposal of another operator, saying why: nothing it asked is done (a
    notice it would have published stays a draft)."""
    assert rt.actor is not None, "a proposal is rejected by an operator"
    with rt.store.write() as tx:
        pending = _found(tx.proposals.claim(proposal_id), proposal_id)
        scope.require_launch(rt, pending.launch_slug)
        rejected = pending.rejected(rt.actor, rt.clock.now(), reason)
        tx.proposals.save(rejected)
        details = {
            "proposal": rejected.id,
            "launch": rejected.launch_slug,
            "action": rejected.action.value,
            "proposed_by": rejected.proposed_by,
            "rejected_by": rt.actor,
            "reason": rejected.reason,
        }
        audit_trail.record(tx, rt, "proposal.rejected", details, actor=rt.actor)
    return rejected


def _carry_out(tx: Transaction, rt: Runtime, proposal: Proposal) -> str | None:
    """Do what the proposal asks, as the service asked directly would; the id of its notice."""
    command = proposal.command
    match proposal.action:
        case ProposalAction.REVISE_PROMISE:
            revised = launches.revise_promise_in(tx, rt, msgspec.convert(command, RevisePromise))
        case ProposalAction.CANCEL_MILESTONE:
            revised = launches.cancel_milestone_in(tx, rt, msgspec.convert(command, CancelMilestone))
        case ProposalAction.PUBLISH_NOTICE:
            notice = notices.reviewed_notice(tx, str(command["notice_id"]), command["content"])
            return notices.publish_in(tx, rt, notice).id
        case ProposalAction.SCHEDULE_NOTICE:
            notice = notices.reviewed_notice(tx, str(command["notice_id"]), command["content"])
            publish_at = datetime.fromisoformat(str(command["publish_at"]))
            return notices.schedule_in(tx, rt, notice, publish_at).id
    assert not isinstance(revised, Proposal)  # rt.reviewed is set: never held again
    return revised[1].id
