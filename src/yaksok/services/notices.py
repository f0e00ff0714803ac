"""Notices: write, schedule, publish (now or at their time), correct, clarify."""

from __future__ import annotations

from datetime import datetime, timedelta

from yaksok.domain import codes
from yaksok.domain.commands import Clarify, EditNotice, ScheduleNotice, WriteNotice
from yaksok.domain.errors import Conflict, InvalidInput, NotFound
from yaksok.domain.ledger import JSON
from yaksok.domain.notice import ANNOUNCED_CHANNELS, Notice, NoticeKind, NoticeState
from yaksok.domain.review import Proposal, ProposalAction
from yaksok.domain.texts import pick_text
from yaksok.services import audit_trail, delivery, ledger, proposals, scope
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def get_notice(tx: Transaction, notice_id: str) -> Notice:
    return _found(tx.notices.get(notice_id), notice_id)


def claim_notice(tx: Transaction, notice_id: str) -> Notice:
    """The notice, locked until the transaction ends: every change to a notice starts here, so
    two requests changing one notice take turns and the second sees what the first did."""
    return _found(tx.notices.claim(notice_id), notice_id)


def _found(notice: Notice | None, notice_id: str) -> Notice:
    if notice is None:
        raise NotFound(f"no notice {notice_id!r}", code=codes.NOTICE_NOT_FOUND)
    return notice


def _save(tx: Transaction, notice: Notice, ledger_seq: int | None = None) -> None:
    if not tx.notices.save(notice, ledger_seq):
        # Unreachable after a claim; kept so that a publication can never be written twice.
        raise Conflict(f"notice {notice.id!r} is already published", code=codes.NOTICE_IMMUTABLE)


def publish_in(tx: Transaction, rt: Runtime, notice: Notice) -> Notice:
    """Publish inside the caller's transaction: the notice, its ledger entry and its fan-out job
    (from which its deliveries follow) commit together. Live listeners hear of it after the
    commit: in this process through ``rt.on_publish``, in every other one through PostgreSQL
    NOTIFY. The caller has claimed the notice (or just added it), so it is published once
    however many try."""
    now = rt.clock.now()
    published = notice.publish(now)
    before = {"state": notice.state.value}
    entry = ledger.record(tx, rt, "notice.published", _ledger_view(published), previous=before)
    # Exact because record() took the ledger lock, held until commit: every earlier publication has
    # committed and no other can come between. The live hub uses it to tell whether the notice is
    # the very next one it expects or one before it has not reached it yet.
    # Official answers to questions are live frames too (services.questions): the one before may be one.
    frames_before = (tx.notices.published_seq_before(entry.seq), tx.questions.answer_seq_before(entry.seq))
    previous_seq = max((seq for seq in frames_before if seq is not None), default=None)
    _save(tx, published, ledger_seq=entry.seq)
    delivery.record_publication(tx, published)  # the outbox: its deliveries follow from this row
    tx.live_events.announce(entry.seq)  # delivered only if this transaction commits
    tx.after_commit.append(lambda: rt.published(entry.seq, previous_seq, published))
    return published


def _ledger_view(notice: Notice) -> dict[str, JSON]:
    assert notice.published_at is not None and notice.publish_at is not None
    lateness = notice.lateness or timedelta(0)
    return {
        "notice": notice.id,
        "kind": notice.kind.value,
        "launch": notice.launch_slug,
        "titles": notice.titles,
        "milestones": list(notice.milestone_ids),
        "scheduled_at": notice.publish_at.isoformat(),
        "published_at": notice.published_at.isoformat(),
        "lateness_seconds": round(lateness.total_seconds(), 3),
        "supersedes": notice.supersedes,
        "claim": None if notice.claim is None else notice.claim.to_dict(),
        "overridden": list(notice.overridden),
        "justification": notice.justification,
    }


def _draft_view(notice: Notice, *, bodies: bool = False) -> dict[str, JSON]:
    """A notice not yet published, as the audit trail notes it."""
    view: dict[str, JSON] = {
        "notice": notice.id,
        "kind": notice.kind.value,
        "launch": notice.launch_slug,
        "state": notice.state.value,
        "titles": dict(notice.titles),
        "publish_at": _instant(notice.publish_at),
    }
    if bodies:
        view["bodies"] = dict(notice.bodies)
    return view


def _instant(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _check_links(tx: Transaction, launch_slug: str | None, milestone_ids: tuple[str, ...]) -> None:
    if launch_slug is not None and not tx.launches.exists(launch_slug):
        raise NotFound(f"no launch {launch_slug!r}", code=codes.LAUNCH_NOT_FOUND)
    for milestone_id in milestone_ids:
        milestone = tx.milestones.get(milestone_id)
        if milestone is None:
            raise NotFound(f"no milestone {milestone_id!r}", code=codes.MILESTONE_NOT_FOUND)
        if launch_slug is not None and milestone.launch_slug != launch_slug:
            raise InvalidInput(
                f"milestone {milestone_id!r} belongs to another launch", code=codes.INVALID_MILESTONE
            )


def create_notice(rt: Runtime, command: WriteNotice) -> Notice | Proposal:
    """Write a notice: a draft, scheduled for ``publish_at``, or published now (not both). On a
    launch under review (services.proposals) an operator's notice is kept as a draft and its
    publication or scheduling proposed instead."""
    now = rt.clock.now()
    launch_slug = command.launch_slug
    with rt.store.write() as tx:
        _check_links(tx, launch_slug, command.milestone_ids)
        if command.supersedes is not None:
            # Not claimed: a published notice never changes, and two corrections of it may both
            # stand (each is a public act, in ledger order; the newest is linked as its correction).
            old = get_notice(tx, command.supersedes)
            if old.state is not NoticeState.PUBLISHED:
                raise Conflict(
                    "only a published notice can be superseded; edit the draft",
                    code=codes.NOTICE_NOT_PUBLISHED,
                )
            launch_slug = launch_slug or old.launch_slug
        scope.require_launch(rt, launch_slug)
        cadence = None if command.cadence_id is None else tx.cadences.get(command.cadence_id)
        if command.cadence_id is not None and cadence is None:
            raise NotFound(f"no cadence {command.cadence_id!r}", code=codes.CADENCE_NOT_FOUND)
        notice = Notice(
            id=rt.new_id("n"),
            kind=command.kind,
            titles=command.titles,
            bodies=command.bodies,
            created_at=now,
            launch_slug=launch_slug,
            milestone_ids=command.milestone_ids,
            channels=command.channels,
            claim=command.claim,
            next_update_at=command.next_update_at,
            cadence_id=command.cadence_id,
            supersedes=command.supersedes,
        )
        _in_launch_languages(tx, notice)
        goes_out = command.publish_now or command.publish_at is not None or cadence is not None
        if goes_out and _needs_review(tx, rt, notice):
            tx.notices.add(notice)  # a draft until the proposal is approved
            # A cadence publishes only the notices written for it that are scheduled (approved)
            # on a launch under review: this one is proposed for the cadence's next slot.
            publish_at = command.publish_at or (None if cadence is None else cadence.next_slot(now))
            if publish_at is not None and not command.publish_now:
                return _propose_schedule(tx, rt, notice, publish_at)
            return _propose_publication(tx, rt, notice)
        if command.publish_at is not None and not command.publish_now:
            notice = notice.schedule(command.publish_at, now)
        tx.notices.add(notice)
        if not command.publish_now:
            audit_trail.operator_act(tx, rt, f"notice.{notice.state.value}", _draft_view(notice))
        if command.publish_now:
            notice = publish_in(tx, rt, notice)
        return notice


def _in_launch_languages(tx: Transaction, notice: Notice) -> None:
    """A launch's notice is written in the launch's languages only (``invalid.text_language``);
    a notice of no launch may use any language yaksok carries."""
    launch = None if notice.launch_slug is None else tx.launches.get(notice.launch_slug)
    if launch is not None:
        launch.own_texts(notice.titles, "notice title")
        launch.own_texts(notice.bodies, "notice body", required=False)
        launch.own_texts(notice.justification, "notice justification", required=False)


def _needs_review(tx: Transaction, rt: Runtime, notice: Notice) -> bool:
    launch = None if notice.launch_slug is None else tx.launches.get(notice.launch_slug)
    return proposals.needs_review(rt, launch)


def _propose_publication(tx: Transaction, rt: Runtime, notice: Notice) -> Proposal:
    notice.publish(rt.clock.now())  # refused now if it would be
    assert notice.launch_slug is not None
    command: dict[str, JSON] = {"notice_id": notice.id, "content": proposals.notice_content(notice)}
    summary = f"publish {notice.kind.value} {notice.id}: {pick_text(notice.titles, 'en')}"
    action = ProposalAction.PUBLISH_NOTICE
    return proposals.propose_in(tx, rt, notice.launch_slug, action, command, summary, notice.id)


def _propose_schedule(tx: Transaction, rt: Runtime, notice: Notice, publish_at: datetime) -> Proposal:
    notice.schedule(publish_at, rt.clock.now())  # refused now if it would be
    assert notice.launch_slug is not None
    command: dict[str, JSON] = {
        "notice_id": notice.id,
        "publish_at": publish_at.isoformat(),
        "content": proposals.notice_content(notice),
    }
    summary = f"schedule {notice.kind.value} {notice.id} for {publish_at.isoformat()}: "
    summary += pick_text(notice.titles, "en")
    action = ProposalAction.SCHEDULE_NOTICE
    return proposals.propose_in(tx, rt, notice.launch_slug, action, command, summary, notice.id)


def reviewed_notice(tx: Transaction, notice_id: str, content: object) -> Notice:
    """The notice a proposal names, claimed, as the reviewer saw it; refused if it changed since."""
    notice = claim_notice(tx, notice_id)
    if notice.state is NoticeState.PUBLISHED or proposals.notice_content(notice) != content:
        raise Conflict(
            f"notice {notice_id!r} was edited or published since it was proposed; propose it again",
            code=codes.REVIEW_NOTICE_CHANGED,
        )
    return notice


def schedule_notice(rt: Runtime, command: ScheduleNotice) -> Notice | Proposal:
    with rt.store.write() as tx:
        notice = claim_notice(tx, command.notice_id)
        scope.require_launch(rt, notice.launch_slug)
        if _needs_review(tx, rt, notice):
            return _propose_schedule(tx, rt, notice, command.publish_at)
        return schedule_in(tx, rt, notice, command.publish_at)


def schedule_in(tx: Transaction, rt: Runtime, notice: Notice, publish_at: datetime) -> Notice:
    """Schedule a claimed notice inside the caller's transaction."""
    scheduled = notice.schedule(publish_at, rt.clock.now())
    _save(tx, scheduled)
    previous = {"state": notice.state.value, "publish_at": _instant(notice.publish_at)}
    audit_trail.operator_act(tx, rt, "notice.scheduled", {**_draft_view(scheduled), "previous": previous})
    return scheduled


def unschedule_notice(rt: Runtime, notice_id: str) -> Notice:
    with rt.store.write() as tx:
        claimed = claim_notice(tx, notice_id)
        scope.require_launch(rt, claimed.launch_slug)
        notice = claimed.unschedule()
        _save(tx, notice)
        previous = {"state": claimed.state.value, "publish_at": _instant(claimed.publish_at)}
        audit_trail.operator_act(tx, rt, "notice.unscheduled", {**_draft_view(notice), "previous": previous})
        return notice


def publish_notice(rt: Runtime, notice_id: str) -> Notice | Proposal:
    with rt.store.write() as tx:
        notice = claim_notice(tx, notice_id)
        scope.require_launch(rt, notice.launch_slug)
        if _needs_review(tx, rt, notice):
            return _propose_publication(tx, rt, notice)
        return publish_in(tx, rt, notice)


def publish_due(rt: Runtime) -> list[Notice]:
    """Publish every scheduled notice whose time has come, oldest first, each in its own
    transaction; a notice whose time passed while the service was down goes out now, and its
    ledger entry says how late. Not reviewed: on a launch under review, scheduling was."""
    published: list[Notice] = []
    with rt.store.read() as tx:
        due = [n.id for n in tx.notices.due(rt.clock.now())]
    for notice_id in due:
        with rt.store.write() as tx:
            notice = tx.notices.claim(notice_id)
            if notice is None or not notice.is_due(rt.clock.now()):
                continue  # published (or unscheduled) by someone else since it was read
            published.append(publish_in(tx, rt, notice))
    return published


def clarify(rt: Runtime, command: Clarify) -> Notice | Proposal:
    """Answer a claim made elsewhere, on every channel, now."""
    return create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.CLARIFICATION,
            titles=command.titles,
            bodies=command.bodies,
            launch_slug=command.launch_slug,
            milestone_ids=command.milestone_ids,
            claim=command.claim,
            next_update_at=command.next_update_at,
            channels=ANNOUNCED_CHANNELS,
            publish_now=True,
        ),
    )


def edit_notice(rt: Runtime, command: EditNotice) -> Notice:
    """Change a draft or scheduled notice; a published one is immutable. A scheduled notice of a
    launch under review goes back to draft: its new text needs scheduling (and review) again."""
    with rt.store.write() as tx:
        notice = claim_notice(tx, command.notice_id)
        scope.require_launch(rt, notice.launch_slug)
        if notice.state is NoticeState.SCHEDULED and _needs_review(tx, rt, notice):
            notice = notice.unschedule()
        before = notice
        notice = notice.edit(
            kind=command.kind,
            titles=command.titles,
            bodies=command.bodies,
            channels=command.channels,
            claim=command.claim,
            next_update_at=command.next_update_at,
        )
        _in_launch_languages(tx, notice)
        _save(tx, notice)
        details = {**_draft_view(notice, bodies=True), "previous": _draft_view(before, bodies=True)}
        audit_trail.operator_act(tx, rt, "notice.edited", details)
        return notice
