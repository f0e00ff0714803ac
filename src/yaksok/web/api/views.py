"""Domain objects as the API's answers (``responses``). Instants are ISO 8601 in UTC with
``+00:00``, as ``datetime.isoformat`` writes them; a promise's ``local`` keeps its zone's offset,
and a ledger entry keeps the ``Z`` stamp that was hashed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

import msgspec

from yaksok.domain.administration import AuditEntry, TokenRecord
from yaksok.domain.cadence import WEEKDAY_NAMES, Cadence
from yaksok.domain.figures import ChannelFigures
from yaksok.domain.launch import Launch, Milestone, Occurrence
from yaksok.domain.ledger import Checkpoint, LedgerEntry
from yaksok.domain.notice import Claim, Notice
from yaksok.domain.promise import Promise, PromiseVersion
from yaksok.domain.review import Proposal
from yaksok.web.api.responses import (
    AuditEntryOut,
    CadenceOut,
    ChannelDeliveriesOut,
    CheckpointOut,
    ClaimOut,
    HeldOut,
    LatencyOut,
    LaunchDetailOut,
    LaunchOut,
    LedgerEntryOut,
    MilestoneOut,
    NoticeOut,
    OccurrenceOut,
    PolicyOut,
    PromiseOut,
    ProposalOut,
    RevisionOut,
    SkuOut,
    TokenRecordOut,
    VersionOut,
)
from yaksok.web.api.schemas import RoleName


def instant(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def promise_view(promise: Promise) -> PromiseOut:
    return PromiseOut(
        at=instant(promise.at),
        zone=promise.zone,
        precision=promise.precision,
        local=instant(promise.local),
        described=promise.describe("en"),
        described_ko=promise.describe("ko"),
    )


def version_view(version: PromiseVersion) -> VersionOut:
    return VersionOut(
        milestone=version.milestone_id,
        version=version.version,
        promise=promise_view(version.promise),
        made_at=version.made_at.isoformat(),
        reason=version.reason,
        change_kind=version.change_kind,
        notice=version.notice_id,
        overridden=list(version.overridden),
        justification=version.justification,
    )


def _occurrence_view(occurrence: Occurrence | None) -> OccurrenceOut | None:
    if occurrence is None:
        return None
    return OccurrenceOut(
        at=occurrence.at.isoformat(), recorded_at=occurrence.recorded_at.isoformat(), note=occurrence.note
    )


def milestone_view(milestone: Milestone) -> MilestoneOut:
    return MilestoneOut(
        id=milestone.id,
        launch=milestone.launch_slug,
        key=milestone.key,
        kind=milestone.kind,
        titles=milestone.titles,
        promise=None if milestone.promise is None else promise_view(milestone.promise),
        cancelled=milestone.cancelled,
        occurrence=_occurrence_view(milestone.occurrence),
        versions=[version_view(version) for version in milestone.versions],
    )


def launch_view(launch: Launch, base_url: str) -> LaunchOut:
    return LaunchOut(
        slug=launch.slug,
        titles=launch.titles,
        zone=launch.zone,
        market=launch.market,
        skus=[SkuOut(code=sku.code, titles=sku.titles, cap=sku.cap) for sku in launch.skus],
        per_customer_limit=launch.per_customer_limit,
        languages=list(launch.languages),
        # convert, not PolicyOut(**...): the policy's own dict stays the one list of its fields
        policy=msgspec.convert(
            {
                **launch.policy.to_dict(),
                "reminder_offsets_hours": [o / timedelta(hours=1) for o in launch.policy.reminder_offsets],
                "review_required": launch.policy.review_required,
            },
            PolicyOut,
        ),
        url=f"{base_url}/launches/{launch.slug}",
    )


def launch_detail_view(launch: Launch, milestones: list[Milestone], base_url: str) -> LaunchDetailOut:
    summary = msgspec.structs.asdict(launch_view(launch, base_url))
    return LaunchDetailOut(**summary, milestones=[milestone_view(m) for m in milestones])


def _claim_view(claim: Claim | None) -> ClaimOut | None:
    if claim is None:
        return None
    return ClaimOut(text=claim.text, verdict=claim.verdict, source_url=claim.source_url)


def notice_view(notice: Notice, base_url: str) -> NoticeOut:
    lateness = notice.lateness
    return NoticeOut(
        id=notice.id,
        kind=notice.kind,
        state=notice.state,
        launch=notice.launch_slug,
        milestones=list(notice.milestone_ids),
        titles=notice.titles,
        bodies=notice.bodies,
        channels=list(notice.channels),
        publish_at=instant(notice.publish_at),
        published_at=instant(notice.published_at),
        lateness_seconds=None if lateness is None else lateness.total_seconds(),
        supersedes=notice.supersedes,
        claim=_claim_view(notice.claim),
        overridden=list(notice.overridden),
        justification=notice.justification,
        next_update_at=instant(notice.next_update_at),
        cadence=notice.cadence_id,
        created_at=notice.created_at.isoformat(),
        url=f"{base_url}/notices/{notice.id}",
    )


def held_view(proposal: Proposal, actor: str | None) -> HeldOut:
    """A change just held for review (the API answers it 202)."""
    return msgspec.convert(msgspec.to_builtins(proposal_view(proposal, actor)), HeldOut)


def proposal_view(proposal: Proposal, actor: str | None) -> ProposalOut:
    return ProposalOut(
        id=proposal.id,
        launch=proposal.launch_slug,
        action=proposal.action,
        summary=proposal.summary,
        state=proposal.state,
        yours=proposal.proposed_by == actor,
        proposed_at=proposal.proposed_at.isoformat(),
        decided_at=None if proposal.decided_at is None else proposal.decided_at.isoformat(),
        reason=proposal.reason,
        notice=proposal.notice_id,
        command=dict(proposal.command),
    )


def revision_view(version: PromiseVersion, notice: Notice, base_url: str) -> RevisionOut:
    return RevisionOut(version=version_view(version), notice=notice_view(notice, base_url))


def cadence_view(cadence: Cadence, now: datetime, *, active: bool = True) -> CadenceOut:
    next_slot = cadence.next_slot(cadence.last_slot_at or now) if active else None
    return CadenceOut(
        id=cadence.id,
        launch=cadence.launch_slug,
        weekdays=[WEEKDAY_NAMES[day] for day in cadence.weekdays],
        at=cadence.local_time.strftime("%H:%M"),
        zone=cadence.zone,
        titles=cadence.titles,
        kind=cadence.kind,
        active=active,
        next_slot=instant(next_slot),
    )


def ledger_entry_view(entry: LedgerEntry) -> LedgerEntryOut:
    return LedgerEntryOut(
        seq=entry.seq,
        at=entry.at,
        kind=entry.kind,
        payload=entry.payload,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def checkpoint_view(point: Checkpoint) -> CheckpointOut:
    return CheckpointOut(
        seq=point.seq,
        hash=point.hash,
        signature=point.signature,
        key_id=point.key_id,
        signed_at=point.signed_at.isoformat(),
    )


def token_record_view(token: TokenRecord) -> TokenRecordOut:
    return TokenRecordOut(
        id=token.id,
        role=cast(RoleName, token.role),  # only role names are ever stored
        label=token.label,
        created_at=token.created_at.isoformat(),
        revoked_at=instant(token.revoked_at),
        launches=None if token.launches is None else list(token.launches),
    )


def audit_entry_view(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=entry.seq,
        at=entry.at.isoformat(),
        actor=entry.actor,
        action=entry.action,
        launch=entry.launch,
        details=dict(entry.details),
    )


def deliveries_out(f: ChannelFigures) -> ChannelDeliveriesOut:
    return ChannelDeliveriesOut(
        delivered=f.delivered,
        pending=f.pending,
        failed=f.failed,
        latency_seconds=LatencyOut(p50=f.latency_p50_seconds, p99=f.latency_p99_seconds),
    )
