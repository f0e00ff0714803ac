"""Launches, milestones and promises: the operator's core actions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from yaksok.domain import codes
from yaksok.domain.commands import (
    AddMilestone,
    CancelMilestone,
    CreateLaunch,
    LooseTexts,
    RecordOccurrence,
    RetitleLaunch,
    RetitleMilestone,
    RevisePromise,
    SetLanguages,
)
from yaksok.domain.errors import Conflict, NotFound
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.ledger import JSON
from yaksok.domain.notice import ANNOUNCED_CHANNELS, Notice, NoticeKind
from yaksok.domain.policy import Override, Violation, promise_violations
from yaksok.domain.promise import ChangeKind, Precision, Promise, PromiseVersion, classify_change
from yaksok.domain.reminder import ReminderMove, reminder_moves
from yaksok.domain.review import Proposal, ProposalAction
from yaksok.domain.texts import as_texts
from yaksok.services import ledger, proposals, scope, waiting_room_beacon, wording
from yaksok.services.notices import publish_in
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

_EVERY = 1_000_000_000  # subscriptions read to count an audience: all of them
PROMISE_CHANNELS = ANNOUNCED_CHANNELS  # a promise and every change to it reach every follower


def get_launch(tx: Transaction, slug: str) -> Launch:
    launch = tx.launches.get(slug)
    if launch is None:
        raise NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND)
    return launch


def set_reminder_offsets(rt: Runtime, slug: str, offsets: Sequence[timedelta]) -> Launch:
    """Remind the launch's subscribers at ``offsets`` before each exact promise (recorded in the
    ledger). Reminders not yet sent move at once: the next are derived from the new offsets; one
    whose time has already passed is not sent late. Setting the current offsets records nothing."""
    scope.require_launch(rt, slug)
    now = rt.clock.now()
    with rt.store.write() as tx:
        launch = claim_launch(tx, slug)
        policy = launch.policy.with_reminder_offsets(offsets, now)
        if policy.reminder_offsets == launch.policy.reminder_offsets:
            return launch
        tx.launches.set_policy(slug, policy)
        ledger.record(
            tx,
            rt,
            "launch.reminders_set",
            {
                "launch": slug,
                "offsets_hours": [o / timedelta(hours=1) for o in policy.reminder_offsets],
                "previous_hours": [o / timedelta(hours=1) for o in launch.policy.reminder_offsets],
            },
        )
    return replace(launch, policy=policy)


def set_review(rt: Runtime, slug: str, *, required: bool) -> Launch:
    """Whether operators' public changes to the launch wait for a second operator's approval
    (services.proposals); recorded in the ledger. Setting the current value records nothing."""
    scope.require_launch(rt, slug)
    with rt.store.write() as tx:
        launch = claim_launch(tx, slug)
        if launch.policy.review_required == required:
            return launch
        policy = replace(launch.policy, review_required=required)
        tx.launches.set_policy(slug, policy)
        details: dict[str, JSON] = {"launch": slug, "review_required": required, "previous": not required}
        ledger.record(tx, rt, "launch.review_set", details)
    return replace(launch, policy=policy)


def set_languages(rt: Runtime, command: SetLanguages) -> Launch:
    """Set the languages the launch publishes in, the first its primary (every reader's
    fallback); recorded in the ledger. Texts already written in a language dropped are kept and
    shown only where no launch language has one. Setting the current languages records nothing."""
    scope.require_launch(rt, command.slug)
    with rt.store.write() as tx:
        launch = claim_launch(tx, command.slug)
        changed = launch.with_languages(command.languages)
        if changed.languages == launch.languages:
            return launch
        tx.launches.set_languages(launch.slug, changed.languages)
        details: dict[str, JSON] = {
            "launch": launch.slug,
            "languages": list(changed.languages),
            "previous": list(launch.languages),
        }
        ledger.record(tx, rt, "launch.languages_set", details)
    return changed


def claim_launch(tx: Transaction, slug: str) -> Launch:
    """The launch, locked until the transaction ends (retitles and milestone additions take turns)."""
    launch = tx.launches.claim(slug)
    if launch is None:
        raise NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND)
    return launch


def get_milestone(tx: Transaction, milestone_id: str) -> Milestone:
    return _found(tx.milestones.get(milestone_id), milestone_id)


def claim_milestone(tx: Transaction, milestone_id: str) -> Milestone:
    """The milestone, locked until the transaction ends: revisions, cancellations and occurrences
    of one milestone take turns, each deciding on what the one before it wrote."""
    return _found(tx.milestones.claim(milestone_id), milestone_id)


def _found(milestone: Milestone | None, milestone_id: str) -> Milestone:
    if milestone is None:
        raise NotFound(f"no milestone {milestone_id!r}", code=codes.MILESTONE_NOT_FOUND)
    return milestone


def create_launch(rt: Runtime, command: CreateLaunch) -> Launch:
    scope.require_all(rt, "creating a launch")
    launch = Launch(
        slug=command.slug,
        titles=command.titles,
        zone=command.zone,
        market=command.market,
        skus=command.skus,
        per_customer_limit=command.per_customer_limit,
        policy=command.policy,
        languages=command.languages,
    )
    launch.own_texts(launch.titles, "launch title")
    with rt.store.write() as tx:
        if not tx.launches.add(launch, rt.clock.now()):
            raise Conflict(f"launch {launch.slug!r} already exists", code=codes.LAUNCH_EXISTS)
        ledger.record(
            tx,
            rt,
            "launch.created",
            {
                "launch": launch.slug,
                "titles": launch.titles,
                "zone": launch.zone,
                "market": launch.market,
                "policy": launch.policy.to_dict(),
                "languages": list(launch.languages),
            },
        )
    return launch


def add_milestone(rt: Runtime, command: AddMilestone) -> Milestone:
    launch_slug = command.launch_slug
    scope.require_launch(rt, launch_slug)
    with rt.store.write() as tx:
        # Claimed: milestones added at once to one launch get distinct positions, and one key once.
        launch = claim_launch(tx, launch_slug)
        launch.own_texts(command.titles, "milestone title")
        milestone = Milestone(
            id=Milestone.make_id(launch_slug, command.key),
            launch_slug=launch_slug,
            key=command.key,
            kind=command.kind,
            titles=command.titles,
        )
        if tx.milestones.get(milestone.id) is not None:
            raise Conflict(f"milestone {milestone.id!r} already exists", code=codes.MILESTONE_EXISTS)
        tx.milestones.add(milestone)
        ledger.record(
            tx,
            rt,
            "milestone.added",
            {
                "milestone": milestone.id,
                "launch": launch_slug,
                "kind": milestone.kind.value,
                "titles": milestone.titles,
            },
        )
    return milestone


def retitle_launch(rt: Runtime, command: RetitleLaunch) -> Launch:
    """Correct a launch's titles. Titles are public, so the change is in the ledger."""
    slug = command.slug
    scope.require_launch(rt, slug)
    with rt.store.write() as tx:
        launch = claim_launch(tx, slug)
        retitled = launch.retitled(command.titles)
        tx.launches.set_titles(slug, retitled.titles)
        ledger.record(
            tx, rt, "launch.retitled", {"launch": slug, "titles": retitled.titles, "previous": launch.titles}
        )
    return retitled


def retitle_milestone(rt: Runtime, command: RetitleMilestone) -> Milestone:
    """Correct a milestone's titles. Titles are public, so the change is in the ledger."""
    milestone_id = command.milestone_id
    with rt.store.write() as tx:
        milestone = claim_milestone(tx, milestone_id)
        scope.require_launch(rt, milestone.launch_slug)
        get_launch(tx, milestone.launch_slug).own_texts(command.titles, "milestone title")
        retitled = milestone.retitled(command.titles)
        tx.milestones.set_titles(milestone_id, retitled.titles)
        ledger.record(
            tx,
            rt,
            "milestone.retitled",
            {"milestone": milestone_id, "titles": retitled.titles, "previous": milestone.titles},
        )
    return retitled


def revise_promise(rt: Runtime, command: RevisePromise) -> tuple[PromiseVersion, Notice] | Proposal:
    """Make (or change) a milestone's public promise and announce it on every channel at once.

    The policy is checked at this moment; a broken rule is refused unless ``override`` gives a
    public justification. The announcing notice is yaksok's standard wording unless titles are given.
    ``reason`` and ``override`` are ``{ko, en}`` texts; a plain string is taken as English.
    On a launch under review (services.proposals) an operator's change passes the same checks,
    then waits as a proposal instead.
    """
    with rt.store.write() as tx:
        return revise_promise_in(tx, rt, command)


def revise_promise_in(
    tx: Transaction, rt: Runtime, command: RevisePromise
) -> tuple[PromiseVersion, Notice] | Proposal:
    milestone = claim_milestone(tx, command.milestone_id)
    scope.require_launch(rt, milestone.launch_slug)
    launch = get_launch(tx, milestone.launch_slug)
    promise = Promise.parse(command.time, launch.zone, command.precision)
    change = _Change(command.reason, command.change_kind, command.override)
    if proposals.needs_review(rt, launch):
        _revision(rt, launch, milestone, promise, change, notice_id="")  # refused now if it would be
        summary = f"{milestone.id}: promise {promise.describe('en')}"
        action = ProposalAction.REVISE_PROMISE
        return proposals.propose_in(tx, rt, launch.slug, action, proposals.encode(command), summary)
    return _revise_in(
        tx,
        rt,
        launch,
        milestone,
        promise,
        change,
        titles=command.titles,
        bodies=command.bodies,
        next_update_at=command.next_update_at,
    )


def preview_revision(
    rt: Runtime, milestone_id: str, *, time: str | None, precision: Precision | str, reason: dict[str, str]
) -> list[Violation]:
    """The rules ``revise_promise`` would find broken if called now with the same promise and
    reason, each with its figures as the policy states them; nothing is written."""
    with rt.store.read() as tx:
        milestone = get_milestone(tx, milestone_id)
        scope.require_launch(rt, milestone.launch_slug)
        launch = get_launch(tx, milestone.launch_slug)
    promise = Promise.parse(time, launch.zone, precision)
    previous = milestone.promise
    change_kind = None if previous is None else classify_change(previous, promise)
    reason = launch.own_texts(reason, "reason", required=False)
    return promise_violations(launch.policy, previous, promise, change_kind, reason, rt.clock.now())


@dataclass(frozen=True)
class Audience:
    """Who a promise change would reach, and how its reminders would move (nothing written)."""

    subscribers: dict[str, int]  # per channel: enabled subscribers who would be told at once
    reminders: list[ReminderMove]


def change_audience(
    rt: Runtime, milestone_id: str, *, time: str | None, precision: Precision | str
) -> Audience:
    """What the console shows beside the verdict: the subscribers per channel the change's
    notice would go to, and each reminder's time before and after."""
    now = rt.clock.now()
    with rt.store.read() as tx:
        milestone = get_milestone(tx, milestone_id)
        scope.require_launch(rt, milestone.launch_slug)
        launch = get_launch(tx, milestone.launch_slug)
        subscribers = tx.subscriptions.page(after="", created_by=now, limit=_EVERY)
    promise = Promise.parse(time, launch.zone, precision)
    kind = NoticeKind.ANNOUNCEMENT if milestone.promise is None else NoticeKind.CHANGE
    draft = Notice(
        id="audience",
        kind=kind,
        titles={"en": "-"},
        bodies={},
        launch_slug=launch.slug,
        channels=PROMISE_CHANNELS,
        created_at=now,
    )
    counted = Counter(s.channel for s in subscribers if s.wants(draft))
    exact = promise.at if promise.precision is Precision.EXACT else None
    return Audience(dict(sorted(counted.items())), reminder_moves(milestone, launch.policy, exact, now))


def cancel_milestone(rt: Runtime, command: CancelMilestone) -> tuple[PromiseVersion, Notice] | Proposal:
    """Cancel the milestone, announced at once (or proposed, on a launch under review)."""
    with rt.store.write() as tx:
        return cancel_milestone_in(tx, rt, command)


def cancel_milestone_in(
    tx: Transaction, rt: Runtime, command: CancelMilestone
) -> tuple[PromiseVersion, Notice] | Proposal:
    milestone = claim_milestone(tx, command.milestone_id)
    scope.require_launch(rt, milestone.launch_slug)
    launch = get_launch(tx, milestone.launch_slug)
    current = milestone.promise or Promise.unannounced(launch.zone)
    change = _Change(command.reason, ChangeKind.CANCEL, command.override)
    if proposals.needs_review(rt, launch):
        _revision(rt, launch, milestone, current, change, notice_id="")  # refused now if it would be
        action = ProposalAction.CANCEL_MILESTONE
        summary = f"{milestone.id}: cancel"
        return proposals.propose_in(tx, rt, launch.slug, action, proposals.encode(command), summary)
    return _revise_in(
        tx,
        rt,
        launch,
        milestone,
        current,
        change,
        titles=command.titles,
        bodies=command.bodies,
        next_update_at=None,
    )


@dataclass(frozen=True)
class _Change:
    reason: LooseTexts
    change_kind: ChangeKind | None
    override: LooseTexts | None


def _revision(
    rt: Runtime, launch: Launch, milestone: Milestone, promise: Promise, change: _Change, *, notice_id: str
) -> PromiseVersion:
    """The milestone's next version, checked against the launch's policy now."""
    plain = launch.plain_language
    justification = launch.own_texts(
        as_texts(change.override or "", plain), "override justification", required=False
    )
    _milestone, version = milestone.revise(
        promise,
        policy=launch.policy,
        now=rt.clock.now(),
        reason=launch.own_texts(as_texts(change.reason, plain), "reason", required=False),
        change_kind=change.change_kind,
        override=Override(justification) if justification else None,
        notice_id=notice_id,
    )
    return version


def _revise_in(
    tx: Transaction,
    rt: Runtime,
    launch: Launch,
    milestone: Milestone,
    promise: Promise,
    change: _Change,
    *,
    titles: dict[str, str] | None,
    bodies: dict[str, str] | None,
    next_update_at: datetime | None,
) -> tuple[PromiseVersion, Notice]:
    now = rt.clock.now()
    previous = milestone.promise
    notice_id = rt.new_id("n")
    version = _revision(rt, launch, milestone, promise, change, notice_id=notice_id)
    tx.milestones.add_version(version)
    if milestone.kind is MilestoneKind.PREORDER_OPENS:
        waiting_room_beacon.follow_opening(tx, rt, launch.slug)  # the beacon round follows the opening
    auto_titles, auto_bodies = wording.promise_notice(launch, milestone, version, previous)
    launch.own_texts(titles or {}, "notice title", required=False)
    launch.own_texts(bodies or {}, "notice body", required=False)
    first = previous is None
    notice = Notice(
        id=notice_id,
        kind=NoticeKind.ANNOUNCEMENT if first else NoticeKind.CHANGE,
        titles=titles or auto_titles,
        bodies=bodies or auto_bodies,
        created_at=now,
        launch_slug=launch.slug,
        milestone_ids=(milestone.id,),
        channels=PROMISE_CHANNELS,
        overridden=version.overridden,
        justification=version.justification,
        next_update_at=next_update_at,
    )
    tx.notices.add(notice)
    before = None if previous is None else _promise_view(previous)
    kind = "promise.made" if first else "promise.changed"
    ledger.record(tx, rt, kind, _version_view(version), previous=before)
    if version.overridden:
        ledger.record(
            tx,
            rt,
            "policy.override",
            {
                "milestone": milestone.id,
                "version": version.version,
                "rules": list(version.overridden),
                "justification": version.justification,
                "notice": notice_id,
            },
        )
    return version, publish_in(tx, rt, notice)


def _promise_view(promise: Promise) -> dict[str, JSON]:
    """A promise as the audit trail shows the one a change replaced."""
    return {
        "at": None if promise.at is None else promise.at.isoformat(),
        "zone": promise.zone,
        "precision": promise.precision.value,
        "described": promise.describe("en"),
    }


def _version_view(version: PromiseVersion) -> dict[str, JSON]:
    promise = version.promise
    return {
        "milestone": version.milestone_id,
        "version": version.version,
        "at": None if promise.at is None else promise.at.isoformat(),
        "zone": promise.zone,
        "precision": promise.precision.value,
        "described": promise.describe("en"),
        "reason": version.reason,
        "change_kind": None if version.change_kind is None else version.change_kind.value,
        "notice": version.notice_id,
        "overridden": list(version.overridden),
        "justification": version.justification,
    }


def record_occurrence(rt: Runtime, command: RecordOccurrence) -> Milestone:
    """Record when the milestone really happened (default: now)."""
    now = rt.clock.now()
    milestone_id = command.milestone_id
    with rt.store.write() as tx:
        claimed = claim_milestone(tx, milestone_id)
        scope.require_launch(rt, claimed.launch_slug)
        milestone = claimed.occur(command.at or now, now, command.note)
        if not tx.milestones.record_occurrence(milestone):  # unreachable after the claim
            raise Conflict("this milestone's occurrence is already recorded", code=codes.MILESTONE_OCCURRED)
        assert milestone.occurrence is not None
        ledger.record(
            tx,
            rt,
            "milestone.occurred",
            {
                "milestone": milestone_id,
                "at": milestone.occurrence.at.isoformat(),
                "promised": None if milestone.promise is None else milestone.promise.describe("en"),
                "note": milestone.occurrence.note,
            },
        )
        return milestone


def record_broken_promises(rt: Runtime) -> list[tuple[Milestone, PromiseVersion]]:
    """Record once, in the ledger, each broken promise: its time passed without the milestone,
    or the milestone happened at another time (early or late)."""
    now = rt.clock.now()
    recorded: list[tuple[Milestone, PromiseVersion]] = []
    with rt.store.write() as tx:
        policies = {launch.slug: launch.policy for launch in tx.launches.list()}
        broken = [m.id for m in tx.milestones.all() if m.is_broken(now, policies[m.launch_slug])]
        # Every claim before the first ledger append, in one order: a revision holding one of
        # these milestones and waiting for the ledger can then never wait on us (no deadlock).
        for milestone_id in sorted(broken):
            milestone = claim_milestone(tx, milestone_id)  # it may have been revised meanwhile
            version = milestone.current
            if version is None or not milestone.is_broken(now, policies[milestone.launch_slug]):
                continue
            if tx.milestones.mark_broken(milestone.id, version.version):
                recorded.append((milestone, version))
        for milestone, version in recorded:
            apology_due_by = now + policies[milestone.launch_slug].apology_within
            ledger.record(
                tx,
                rt,
                "promise.broken",
                {
                    "milestone": milestone.id,
                    "version": version.version,
                    "promised": version.promise.describe("en"),
                    "apology_due_by": apology_due_by.isoformat(),
                },
            )
    return recorded
