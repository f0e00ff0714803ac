"""Launches and their milestones: what is being launched, and each promised moment."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from functools import cached_property

from yaksok.domain import codes
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.policy import Override, Policy, enforce, promise_violations
from yaksok.domain.promise import ChangeKind, Precision, Promise, PromiseVersion, classify_change, zone_info
from yaksok.domain.texts import DEFAULT_LANGUAGES, check_languages, check_texts, pick_text

MAX_SKU = 64  # characters in a SKU code
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def check_slug(slug: str, what: str = "slug") -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"{what} {slug!r} must be 1-64 lowercase letters, digits or inner hyphens",
            code=codes.INVALID_SLUG,
        )
    return slug


class MilestoneKind(StrEnum):
    ANNOUNCEMENT = "announcement"
    PREORDER_OPENS = "preorder_opens"
    PREORDER_CLOSES = "preorder_closes"
    SALE_STARTS = "sale_starts"
    SHIPPING_BATCH = "shipping_batch"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Sku:
    code: str
    titles: dict[str, str]
    cap: int | None = None  # pre-order units at most; reservations past it are waitlisted


def _new_titles(current: dict[str, str], given: dict[str, str], what: str) -> dict[str, str]:
    """``given`` replaces every language of ``current``; the same titles again are refused, as
    there would be nothing to announce."""
    titles = check_texts(given, what)
    if titles == check_texts(current, what):
        raise Conflict(f"the {what} is already {titles}; nothing would change", code=codes.TITLES_UNCHANGED)
    return titles


@dataclass(frozen=True)
class Launch:
    slug: str
    titles: dict[str, str]
    zone: str
    market: str = ""
    skus: tuple[Sku, ...] = ()
    per_customer_limit: int = 1
    policy: Policy = field(default_factory=Policy)
    # the languages its texts are written in; the first, its primary, is every reader's fallback
    languages: tuple[str, ...] = DEFAULT_LANGUAGES

    def __post_init__(self) -> None:
        check_slug(self.slug)
        check_languages(self.languages)
        check_texts(self.titles, "launch title")
        zone_info(self.zone)
        if self.per_customer_limit < 1:
            raise InvalidInput("per-customer limit must be at least 1", code=codes.INVALID_LIMIT)
        skus = [sku.code for sku in self.skus]
        repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
        if repeated:
            raise InvalidInput(
                f"each SKU code may appear once in a launch; repeated: {', '.join(repeated)}",
                code=codes.LAUNCH_DUPLICATE_SKU,
                details={"codes": repeated},
            )

    def title(self, lang: str) -> str:
        return pick_text(self.titles, lang, self.languages)

    @cached_property
    def caps(self) -> dict[str, int | None]:
        """Each SKU's cap by its code (None: no cap): looked up once per reservation at the opening."""
        return {sku.code: sku.cap for sku in self.skus}

    @property
    def primary_language(self) -> str:
        return self.languages[0]

    @property
    def plain_language(self) -> str:
        """The language of a text given as a plain string: English if the launch publishes in
        it (as before texts were per-language), else its primary."""
        return "en" if "en" in self.languages else self.languages[0]

    def reading_language(self, lang: str) -> str:
        """The language a reader of ``lang`` is shown this launch's texts in: theirs if the
        launch publishes in it, else the launch's primary (``texts.pick_text`` falls back alike)."""
        return lang if lang in self.languages else self.languages[0]

    def own_texts(self, texts: dict[str, str], what: str, *, required: bool = True) -> dict[str, str]:
        """``texts`` checked to be in this launch's languages only (``invalid.text_language``)."""
        return check_texts(texts, what, required=required, languages=self.languages)

    def with_languages(self, languages: tuple[str, ...] | list[str]) -> Launch:
        """The launch publishing in ``languages`` (the first its primary). Texts already written
        in a language no longer among them are kept, shown only when no other language has one."""
        return replace(self, languages=check_languages(languages))

    def retitled(self, titles: dict[str, str]) -> Launch:
        """The launch under new titles, so a mistyped title need not stay for good."""
        self.own_texts(titles, "launch title")
        return replace(self, titles=_new_titles(self.titles, titles, "launch title"))

    def with_sku(self, sku: Sku, units_held: int) -> Launch:
        """The launch with ``sku`` added, or replacing the SKU of its code. A cap below the
        ``units_held`` by queued reservations is refused: they were promised those units."""
        if not 1 <= len(sku.code) <= MAX_SKU:
            raise InvalidInput(f"a SKU code is 1-{MAX_SKU} characters", code=codes.INVALID_SKU)
        sku = replace(sku, titles=self.own_texts(sku.titles, "SKU title", required=False))
        if sku.cap is not None and sku.cap < units_held:
            raise Conflict(
                f"SKU {sku.code!r} already has {units_held} units held by queued reservations; "
                f"a cap of {sku.cap} would take units from them (cancel reservations first)",
                code=codes.LAUNCH_CAP_BELOW_HELD,
                details={"sku": sku.code, "cap": sku.cap, "held": units_held},
            )
        kept = tuple(s for s in self.skus if s.code != sku.code)
        if len(kept) == len(self.skus):
            return replace(self, skus=(*self.skus, sku))
        return replace(self, skus=tuple(sku if s.code == sku.code else s for s in self.skus))

    def with_limit(self, per_customer_limit: int) -> Launch:
        """The launch with a new per-customer limit; reservations already made stay as they are."""
        return replace(self, per_customer_limit=per_customer_limit)


@dataclass(frozen=True)
class Occurrence:
    """When the milestone actually happened."""

    at: datetime
    recorded_at: datetime
    note: str = ""


@dataclass(frozen=True)
class Milestone:
    id: str
    launch_slug: str
    key: str
    kind: MilestoneKind
    titles: dict[str, str]
    versions: tuple[PromiseVersion, ...] = ()
    occurrence: Occurrence | None = None

    def __post_init__(self) -> None:
        check_texts(self.titles, "milestone title")

    @staticmethod
    def make_id(launch_slug: str, key: str) -> str:
        return f"{launch_slug}.{check_slug(key, 'milestone key')}"

    def title(self, lang: str, languages: Sequence[str] | None = None) -> str:
        """The title for a reader of ``lang``, falling back as its launch's ``languages`` say."""
        return pick_text(self.titles, lang, languages)

    def retitled(self, titles: dict[str, str]) -> Milestone:
        """The milestone under new titles; its key, id and promises stay as they are."""
        return replace(self, titles=_new_titles(self.titles, titles, "milestone title"))

    @property
    def current(self) -> PromiseVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def promise(self) -> Promise | None:
        return None if self.current is None else self.current.promise

    @property
    def cancelled(self) -> bool:
        return self.current is not None and self.current.cancelled

    def revise(
        self,
        new: Promise,
        *,
        policy: Policy,
        now: datetime,
        reason: dict[str, str] | None = None,
        change_kind: ChangeKind | None = None,
        override: Override | None = None,
        notice_id: str | None = None,
    ) -> tuple[Milestone, PromiseVersion]:
        """Make a new promise version at ``now``, enforcing the policy."""
        if self.occurrence is not None:
            raise Conflict("this milestone has already happened", code=codes.MILESTONE_OCCURRED)
        if self.cancelled:
            raise Conflict("this milestone was cancelled", code=codes.MILESTONE_CANCELLED)
        previous = self.promise
        if previous == new and change_kind is not ChangeKind.CANCEL:
            raise Conflict(
                f"the promise is already {new.describe('en')}; nothing would change",
                code=codes.PROMISE_UNCHANGED,
            )
        if new.at is not None and new.window_end is not None and new.window_end <= now:
            raise InvalidInput("a promise cannot be for a time already past", code=codes.PROMISE_IN_PAST)
        if previous is not None and change_kind is None:
            change_kind = classify_change(previous, new)
        reason = check_texts(reason or {}, "reason", required=False)
        broken = promise_violations(policy, previous, new, change_kind, reason, now)
        overridden = enforce(broken, override)
        version = PromiseVersion(
            milestone_id=self.id,
            version=len(self.versions) + 1,
            promise=new,
            made_at=now,
            reason=reason,
            change_kind=change_kind,
            notice_id=notice_id,
            overridden=overridden,
            justification=check_texts(override.justification, "justification")
            if override and overridden
            else {},
        )
        return replace(self, versions=(*self.versions, version)), version

    def cancel(
        self,
        *,
        policy: Policy,
        now: datetime,
        reason: dict[str, str],
        zone: str,
        override: Override | None = None,
        notice_id: str | None = None,
    ) -> tuple[Milestone, PromiseVersion]:
        """Cancel the milestone; its last promise is kept on record. ``zone`` is the launch's."""
        current = self.promise or Promise.unannounced(zone)
        return self.revise(
            current,
            policy=policy,
            now=now,
            reason=reason,
            change_kind=ChangeKind.CANCEL,
            override=override,
            notice_id=notice_id,
        )

    def occur(self, at: datetime, now: datetime, note: str = "") -> Milestone:
        if self.occurrence is not None:
            raise Conflict("this milestone's occurrence is already recorded", code=codes.MILESTONE_OCCURRED)
        if at > now:
            raise InvalidInput("an occurrence cannot be in the future", code=codes.OCCURRENCE_IN_FUTURE)
        return replace(self, occurrence=Occurrence(at=at, recorded_at=now, note=note.strip()))

    def is_broken(self, now: datetime, policy: Policy) -> bool:
        """The current promise is broken: its time passed without the milestone, or the milestone
        happened at another time, late or early (people who trusted the time missed it too)."""
        return self.is_overdue(now, policy) or self.happened_off_promise(policy)

    def happened_off_promise(self, policy: Policy) -> bool:
        """It happened, but not when the current promise said (beyond the policy's tolerance)."""
        promise = self.promise
        if self.occurrence is None or self.cancelled or promise is None or promise.at is None:
            return False
        return not promise.kept_by(self.occurrence.at, policy.tolerance)

    def is_overdue(self, now: datetime, policy: Policy) -> bool:
        """The promised time (plus tolerance) has passed and nothing happened: a broken promise."""
        promise = self.promise
        if self.occurrence is not None or self.cancelled or promise is None or promise.at is None:
            return False
        end = promise.window_end if promise.precision is not Precision.EXACT else promise.at
        return end is not None and now > end + policy.tolerance
