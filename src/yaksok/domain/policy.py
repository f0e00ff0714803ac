"""A launch's policy: how far ahead times are announced and how changes are made.

Each rule has a stable code. A broken rule is refused unless the operator overrides it
with a public justification, which is then shown with the notice and kept in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from yaksok.domain import codes
from yaksok.domain.errors import Code, InvalidInput, PolicyViolation
from yaksok.domain.promise import ChangeKind, Precision, Promise
from yaksok.domain.texts import check_texts

# The rules' codes as text, as an overridden version keeps them and ``details.rules`` lists them.
LEAD_TIME = codes.POLICY_LEAD_TIME.text
REASON_REQUIRED = codes.POLICY_REASON_REQUIRED.text
LATE_CHANGE = codes.POLICY_LATE_CHANGE.text
RULES = (LEAD_TIME, REASON_REQUIRED, LATE_CHANGE)
MAX_REMINDERS = 10
LONGEST_REMINDER = timedelta(days=60)


@dataclass(frozen=True)
class Policy:
    min_lead: timedelta = timedelta(hours=72)
    min_change_lead: timedelta = timedelta(hours=24)
    tolerance: timedelta = timedelta(minutes=5)
    apology_within: timedelta = timedelta(hours=2)
    reason_required: bool = True
    # How long before each exactly promised milestone subscribers are reminded (domain/reminder.py),
    # set per launch (``with_reminder_offsets``); stored with the policy (``to_stored``), not in
    # ``to_dict``, which lists the rules a launch is created with.
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=72), timedelta(hours=24), timedelta(hours=1))
    reminders_set_at: datetime | None = None  # when the offsets were last set (None: the defaults)
    # Whether an operator's public change waits for another operator's approval (domain/review.py);
    # stored like the offsets, set on its own (``launch.review_set``).
    review_required: bool = False
    # Whether allocation may let a later, smaller reservation take units an earlier one could not
    # fit (domain/allocation.py records each such pass); stored like the offsets, set on its own.
    allocation_passing: bool = False

    def __post_init__(self) -> None:
        for name in ("min_lead", "min_change_lead", "tolerance", "apology_within"):
            if getattr(self, name) < timedelta(0):
                raise InvalidInput(f"policy {name} cannot be negative", code=codes.POLICY_INVALID)
        if any(offset <= timedelta(0) for offset in self.reminder_offsets):
            raise InvalidInput("policy reminder offsets must be positive", code=codes.POLICY_INVALID)
        if len(self.reminder_offsets) > MAX_REMINDERS or any(
            o > LONGEST_REMINDER for o in self.reminder_offsets
        ):
            raise InvalidInput(
                f"at most {MAX_REMINDERS} reminder offsets, each at most {LONGEST_REMINDER.days} days",
                code=codes.POLICY_INVALID,
            )

    def with_reminder_offsets(self, offsets: Iterable[timedelta], now: datetime) -> Policy:
        """The policy with subscribers reminded at ``offsets`` before each exact promise, from
        ``now`` on: a reminder whose time came before ``now`` is not sent late for it."""
        chosen = tuple(sorted(set(offsets), reverse=True))
        return replace(self, reminder_offsets=chosen, reminders_set_at=now)

    def to_stored(self) -> dict[str, object]:
        """Everything the policy holds, as the launch's row keeps it."""
        stored: dict[str, object] = dict(self.to_dict())
        stored["reminder_offsets_minutes"] = [o / timedelta(minutes=1) for o in self.reminder_offsets]
        if self.reminders_set_at is not None:
            stored["reminders_set_at"] = self.reminders_set_at.isoformat()
        if self.review_required:
            stored["review_required"] = True
        if self.allocation_passing:
            stored["allocation_passing"] = True
        return stored

    @classmethod
    def from_stored(cls, data: Mapping[str, object]) -> Policy:
        rules = {k: v for k, v in data.items() if isinstance(v, float | int | bool) and k in _RULE_KEYS}
        policy = cls.from_dict(rules)
        minutes = data.get("reminder_offsets_minutes")
        set_at = data.get("reminders_set_at")
        if isinstance(minutes, list):
            policy = replace(policy, reminder_offsets=tuple(timedelta(minutes=float(m)) for m in minutes))
        if isinstance(set_at, str):
            policy = replace(policy, reminders_set_at=datetime.fromisoformat(set_at))
        if data.get("review_required") is True:
            policy = replace(policy, review_required=True)
        if data.get("allocation_passing") is True:
            policy = replace(policy, allocation_passing=True)
        return policy

    def to_dict(self) -> dict[str, float | bool]:
        return {
            "min_lead_hours": self.min_lead / timedelta(hours=1),
            "min_change_lead_hours": self.min_change_lead / timedelta(hours=1),
            "tolerance_minutes": self.tolerance / timedelta(minutes=1),
            "apology_within_hours": self.apology_within / timedelta(hours=1),
            "reason_required": self.reason_required,
        }

    @classmethod
    def from_dict(cls, data: dict[str, float | bool]) -> Policy:
        base = cls()
        return cls(
            min_lead=timedelta(hours=float(data.get("min_lead_hours", base.min_lead / timedelta(hours=1)))),
            min_change_lead=timedelta(
                hours=float(data.get("min_change_lead_hours", base.min_change_lead / timedelta(hours=1)))
            ),
            tolerance=timedelta(
                minutes=float(data.get("tolerance_minutes", base.tolerance / timedelta(minutes=1)))
            ),
            apology_within=timedelta(
                hours=float(data.get("apology_within_hours", base.apology_within / timedelta(hours=1)))
            ),
            reason_required=bool(data.get("reason_required", True)),
        )


@dataclass(frozen=True)
class Override:
    """An operator's explicit, public decision to break a rule."""

    justification: dict[str, str]

    def __post_init__(self) -> None:
        if not check_texts(self.justification, "override justification", required=False):
            raise InvalidInput(
                "an override needs a public justification", code=codes.OVERRIDE_JUSTIFICATION_REQUIRED
            )


@dataclass(frozen=True)
class Violation:
    rule: Code[PolicyViolation]
    explanation: str


def promise_violations(
    policy: Policy,
    previous: Promise | None,
    new: Promise,
    change_kind: ChangeKind | None,
    reason: dict[str, str],
    now: datetime,
) -> list[Violation]:
    """The rules a new promise version would break if published at ``now``, each explained
    with the figures that break it."""
    broken: list[Violation] = []
    cancelling = change_kind is ChangeKind.CANCEL
    if not cancelling and new.precision is Precision.EXACT and new.at is not None:
        lead = new.at - now
        if lead < policy.min_lead:
            broken.append(
                Violation(
                    codes.POLICY_LEAD_TIME,
                    f"an exact time must be announced at least {_span(policy.min_lead)} ahead; "
                    f"this one is {_span(lead)} ahead",
                )
            )
    if (
        previous is not None
        and policy.reason_required
        and not check_texts(reason, "reason", required=False)
        and not _refines(previous, new, change_kind)
    ):
        broken.append(Violation(codes.POLICY_REASON_REQUIRED, "a change of promise needs a public reason"))
    if (
        previous is not None
        and previous.at is not None
        and _is_late_change(policy, previous, new, change_kind, now)
    ):
        broken.append(
            Violation(
                codes.POLICY_LATE_CHANGE,
                f"a change must be announced at least {_span(policy.min_change_lead)} before the old time; "
                f"this one comes {_span(previous.at - now)} before it",
            )
        )
    return broken


def _span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours and not minutes:
        return f"{hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _is_late_change(
    policy: Policy, previous: Promise, new: Promise, change_kind: ChangeKind | None, now: datetime
) -> bool:
    if previous.at is None or (now >= previous.at and previous.precision is Precision.EXACT):
        return False  # nothing promised yet, or already broken: a new plan is owed, not late
    if _refines(previous, new, change_kind):
        return False  # making "9 November" exact within that day is not a change of date
    end = previous.window_end
    if end is not None and now >= end:
        return False
    return previous.at - now < policy.min_change_lead


def _refines(previous: Promise, new: Promise, change_kind: ChangeKind | None) -> bool:
    """Announcing the time within an already promised day or month is not a change."""
    return (
        change_kind is ChangeKind.CLARIFY
        and previous.precision is not Precision.EXACT
        and new.at is not None
        and previous.covers(new.at)
    )


def enforce(broken: list[Violation], override: Override | None) -> tuple[str, ...]:
    """Refuse a broken rule unless overridden; returns the rules the override covers.

    An override when no rule is broken is refused too: its justification would be published for
    nothing, or (worse) dropped without a word."""
    if not broken:
        if override is not None:
            raise InvalidInput(
                "no rule of the policy is broken, so there is nothing to override; "
                "send it again without the override",
                code=codes.OVERRIDE_NOT_NEEDED,
            )
        return ()
    if override is None:
        message = "; ".join(v.explanation for v in broken) + " (or override with a public justification)"
        raise PolicyViolation([v.rule for v in broken], message)
    return tuple(v.rule.text for v in broken)


_RULE_KEYS = tuple(Policy().to_dict())
