"""The scorecard: which promises were kept, computed from the history alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision, PromiseVersion


class Outcome(StrEnum):
    KEPT = "kept"
    KEPT_SHORT_NOTICE = "kept_short_notice"  # on time, but announced with less than min_lead
    BROKEN = "broken"
    REVISED = "revised"  # changed with due notice
    PENDING = "pending"


@dataclass(frozen=True)
class VersionOutcome:
    version: PromiseVersion
    outcome: Outcome
    why: str


def _deadline(version: PromiseVersion, policy: Policy) -> datetime | None:
    promise = version.promise
    end = promise.at if promise.precision is Precision.EXACT else promise.window_end
    return None if end is None else end + policy.tolerance


def _refines(earlier: PromiseVersion, later: PromiseVersion) -> bool:
    return (
        later.change_kind is ChangeKind.CLARIFY
        and later.promise.at is not None
        and earlier.promise.precision is not Precision.EXACT
        and earlier.promise.covers(later.promise.at)
    )


def milestone_outcomes(milestone: Milestone, policy: Policy, now: datetime) -> list[VersionOutcome]:
    """Judge every promise version of a milestone (unannounced and cancel versions are not promises)."""
    results: list[VersionOutcome] = []
    versions = milestone.versions
    occurred = milestone.occurrence.at if milestone.occurrence else None
    for index, version in enumerate(versions):
        if version.promise.at is None or version.cancelled:
            continue
        deadline = _deadline(version, policy)
        assert deadline is not None
        change = next((later for later in versions[index + 1 :] if not _refines(version, later)), None)
        if occurred is not None and (change is None or occurred <= change.made_at):
            if not version.promise.kept_by(occurred, policy.tolerance):
                results.append(VersionOutcome(version, Outcome.BROKEN, "happened at another time"))
            elif (
                version.promise.precision is Precision.EXACT
                and (version.lead or timedelta(0)) < policy.min_lead
            ):
                results.append(VersionOutcome(version, Outcome.KEPT_SHORT_NOTICE, "on time, short notice"))
            else:
                results.append(VersionOutcome(version, Outcome.KEPT, "happened as promised"))
        elif change is not None:
            if change.made_at > deadline:
                results.append(VersionOutcome(version, Outcome.BROKEN, "time passed before the change"))
            elif version.promise.at - change.made_at < policy.min_change_lead:
                results.append(VersionOutcome(version, Outcome.BROKEN, "changed too late"))
            else:
                results.append(VersionOutcome(version, Outcome.REVISED, "changed with due notice"))
        elif now > deadline:
            results.append(VersionOutcome(version, Outcome.BROKEN, "time passed, nothing happened"))
        else:
            results.append(VersionOutcome(version, Outcome.PENDING, "not yet due"))
    return results


def _hours(delta: timedelta) -> float:
    return round(delta / timedelta(hours=1), 2)


def _seconds_stats(values: Sequence[timedelta]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "max": None}
    seconds = [v.total_seconds() for v in values]
    return {"median": round(median(seconds), 3), "max": round(max(seconds), 3)}


@dataclass(frozen=True)
class Scorecard:
    scope: str
    promises_made: int
    kept: int
    kept_short_notice: int
    broken: int
    revised: int
    pending: int
    exact_time_share: float | None
    time_not_announced: int
    lead_time_hours: dict[str, float | None]
    late_changes: int
    overrides: int
    publication_lateness_seconds: dict[str, float | None]
    notices_published: int
    apologies_owed: int
    apologies_on_time: int
    outcomes: tuple[VersionOutcome, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "promises": {
                "made": self.promises_made,
                "kept": self.kept,
                "kept_short_notice": self.kept_short_notice,
                "broken": self.broken,
                "revised": self.revised,
                "pending": self.pending,
            },
            "exact_time_share": self.exact_time_share,
            "time_not_announced": self.time_not_announced,
            "lead_time_hours": self.lead_time_hours,
            "late_changes": self.late_changes,
            "overrides": self.overrides,
            "publication_lateness_seconds": self.publication_lateness_seconds,
            "notices_published": self.notices_published,
            "apologies": {"owed": self.apologies_owed, "on_time": self.apologies_on_time},
            "delivery_latency_ms": None,  # measured once delivery channels land
        }


def _apology_on_time(milestone: Milestone, notices: Iterable[Notice], policy: Policy, now: datetime) -> bool:
    promise = milestone.promise
    assert promise is not None and promise.at is not None
    broke_at = (promise.window_end or promise.at) + policy.tolerance
    if milestone.occurrence is not None:  # happening early breaks the promise when it happens
        broke_at = min(broke_at, milestone.occurrence.at)
    return any(
        n.kind is NoticeKind.APOLOGY
        and n.published_at is not None
        and milestone.id in n.milestone_ids
        and n.published_at <= broke_at + policy.apology_within
        for n in notices
    )


def compute(
    scope: str,
    launches: Iterable[Launch],
    milestones: Iterable[Milestone],
    notices: Iterable[Notice],
    now: datetime,
) -> Scorecard:
    policies = {launch.slug: launch.policy for launch in launches}
    notices = [n for n in notices if n.state is NoticeState.PUBLISHED]
    outcomes: list[VersionOutcome] = []
    late_changes = overrides = owed = on_time = 0
    for milestone in milestones:
        policy = policies.get(milestone.launch_slug, Policy())
        outcomes.extend(milestone_outcomes(milestone, policy, now))
        overrides += sum(1 for v in milestone.versions if v.overridden)
        late_changes += sum(
            1
            for prev, v in zip(milestone.versions, milestone.versions[1:], strict=False)
            if prev.promise.at is not None
            and v.made_at < prev.promise.at
            and prev.promise.at - v.made_at < policy.min_change_lead
            and not _refines(prev, v)
        )
        if milestone.is_broken(now, policy) or _broke_then_replanned(milestone, policy):
            owed += 1
            on_time += _apology_on_time(milestone, notices, policy, now)
    count = {o: sum(1 for r in outcomes if r.outcome is o) for o in Outcome}
    exact = [r.version for r in outcomes if r.version.promise.precision is Precision.EXACT]
    leads = [v.lead for v in exact if v.lead is not None]
    lateness = [n.lateness for n in notices if n.lateness is not None]
    made = len(outcomes)
    return Scorecard(
        scope=scope,
        promises_made=made,
        kept=count[Outcome.KEPT],
        kept_short_notice=count[Outcome.KEPT_SHORT_NOTICE],
        broken=count[Outcome.BROKEN],
        revised=count[Outcome.REVISED],
        pending=count[Outcome.PENDING],
        exact_time_share=round(len(exact) / made, 3) if made else None,
        time_not_announced=made - len(exact),
        lead_time_hours={
            "median": _hours(timedelta(seconds=median(x.total_seconds() for x in leads))) if leads else None,
            "min": _hours(min(leads)) if leads else None,
        },
        late_changes=late_changes,
        overrides=overrides,
        publication_lateness_seconds=_seconds_stats(lateness),
        notices_published=len(notices),
        apologies_owed=owed,
        apologies_on_time=on_time,
        outcomes=tuple(outcomes),
    )


def _broke_then_replanned(milestone: Milestone, policy: Policy) -> bool:
    """A promise whose time passed (or that was pulled too late) still owes an apology after a new plan."""
    return any(
        prev.promise.at is not None
        and not _refines(prev, v)
        and (
            v.made_at > (_deadline(prev, policy) or v.made_at)
            or prev.promise.at - v.made_at < policy.min_change_lead
        )
        for prev, v in zip(milestone.versions, milestone.versions[1:], strict=False)
    )
