"""Every call the console makes into the services, in one place, from form fields.

The admin API's routes call the same functions; a form's fields are read here into the
services' arguments (texts per language, times in a zone), so the pages stay thin.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from yaksok.channels import preview
from yaksok.domain import codes
from yaksok.domain.commands import (
    AddMilestone,
    CreateLaunch,
    RetitleLaunch,
    RevisePromise,
    SetLanguages,
    SetLimit,
    SetSku,
    WriteNotice,
)
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Launch, Milestone, MilestoneKind, Sku
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.policy import Violation
from yaksok.domain.promise import Precision, Promise, PromiseVersion
from yaksok.domain.review import Proposal
from yaksok.domain.texts import DEFAULT_LANGUAGES, LANGUAGES
from yaksok.services import launches, lookups, notices, reservations
from yaksok.services.runtime import Runtime

Form = Mapping[str, str]
E = TypeVar("E", bound=StrEnum)


def choice(form: Form, name: str, kind: type[E], default: E) -> E:
    """A field whose value must be one of ``kind``'s (a select a hand-made post may fake)."""
    raw = form.get(name, default.value)
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{name} must be one of {choices}", code=codes.INVALID_CHOICE) from None


def whole_number(form: Form, name: str, low: int, high: int) -> int | None:
    """A field holding a whole number in [low, high], or None when left empty."""
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}", code=codes.INVALID_NUMBER)
    return int(raw)


def texts(form: Form, name: str) -> dict[str, str]:
    """``name_ko``, ``name_en`` and ``name_ja`` as per-language texts, empty ones left out."""
    return {lang: form[f"{name}_{lang}"] for lang in LANGUAGES if form.get(f"{name}_{lang}", "").strip()}


def languages(form: Form) -> tuple[str, ...]:
    """``languages``, comma-separated, as a launch's languages (the first its primary)."""
    return tuple(each.strip() for each in form.get("languages", "").split(",") if each.strip())


def create_launch(rt: Runtime, form: Form) -> Launch:
    command = CreateLaunch(
        slug=form.get("slug", "").strip(),
        titles=texts(form, "title"),
        zone=form.get("zone", "").strip(),
        languages=languages(form) if "languages" in form else DEFAULT_LANGUAGES,
    )
    return launches.create_launch(rt, command)


def set_languages(rt: Runtime, slug: str, form: Form) -> Launch:
    return launches.set_languages(rt, SetLanguages(slug=slug, languages=languages(form)))


def retitle_launch(rt: Runtime, slug: str, form: Form) -> Launch:
    return launches.retitle_launch(rt, RetitleLaunch(slug, texts(form, "title")))


def add_milestone(rt: Runtime, slug: str, form: Form) -> Milestone:
    command = AddMilestone(
        launch_slug=slug,
        key=form.get("key", "").strip(),
        kind=choice(form, "kind", MilestoneKind, MilestoneKind.CUSTOM),
        titles=texts(form, "title"),
    )
    return launches.add_milestone(rt, command)


def preview_revision(rt: Runtime, milestone_id: str, form: Form) -> list[Violation]:
    return launches.preview_revision(
        rt,
        milestone_id,
        time=form.get("time", "").strip() or None,
        precision=choice(form, "precision", Precision, Precision.EXACT),
        reason=texts(form, "reason"),
    )


def change_audience(rt: Runtime, milestone_id: str, form: Form) -> launches.Audience:
    return launches.change_audience(
        rt,
        milestone_id,
        time=form.get("time", "").strip() or None,
        precision=choice(form, "precision", Precision, Precision.EXACT),
    )


def revise_promise(rt: Runtime, milestone_id: str, form: Form) -> tuple[PromiseVersion, Notice] | Proposal:
    override = texts(form, "override")
    command = RevisePromise(
        milestone_id,
        time=form.get("time", "").strip() or None,
        precision=choice(form, "precision", Precision, Precision.EXACT),
        reason=texts(form, "reason"),
        override=override or None,
    )
    return launches.revise_promise(rt, command)


def compose_notice(rt: Runtime, form: Form) -> Notice | Proposal:
    """A general notice from the composer: kept as a draft, scheduled at ``publish_at`` (wall
    time in ``zone``) or published now, as the button pressed (``action``) says; on a launch
    under review, the schedule or publication waits as a proposal."""
    action = form.get("action", "draft")
    slug = form.get("launch", "").strip() or None
    command = WriteNotice(
        kind=NoticeKind.GENERAL,
        titles=texts(form, "title"),
        bodies=texts(form, "body"),
        launch_slug=slug,
        publish_at=publish_at(form) if action == "schedule" else None,
        publish_now=action == "publish",
    )
    return notices.create_notice(rt, command)


def publish_at(form: Form) -> datetime | None:
    """The exact instant a notice is scheduled for, read as a promise's exact time is."""
    instant = Promise.parse(form.get("publish_at", "").strip() or None, form.get("zone", "UTC"), "exact")
    return instant.at


def channel_previews(rt: Runtime, form: Form, base_url: str) -> dict[str, list[preview.Preview]]:
    """The composer's notice in each language as every channel would carry it (placeholders
    expanded, safe HTML, threads cut per network), published now."""
    draft = Notice(
        id="preview",
        kind=NoticeKind.GENERAL,
        titles=texts(form, "title"),
        bodies=texts(form, "body"),
        launch_slug=form.get("launch", "").strip() or None,
        created_at=rt.clock.now(),
    )
    milestones = {m.id: m for m in all_milestones(rt)}
    launch = next((found for found in lookups.launches(rt) if found.slug == draft.launch_slug), None)
    languages = LANGUAGES if launch is None else launch.languages  # each language readers get it in
    return {lang: preview.previews(draft, lang, base_url, milestones, rt.clock.now()) for lang in languages}


def all_milestones(rt: Runtime) -> list[Milestone]:
    return [m for launch in lookups.launches(rt) for m in lookups.launch(rt, launch.slug)[1]]


def launch_list(rt: Runtime) -> list[Launch]:
    return lookups.launches(rt)


def launch_with_milestones(rt: Runtime, slug: str) -> tuple[Launch, list[Milestone]]:
    return lookups.launch(rt, slug)


def milestone_with_launch(rt: Runtime, milestone_id: str) -> tuple[Milestone, Launch]:
    milestone = lookups.milestone(rt, milestone_id)
    return milestone, lookups.launch(rt, milestone.launch_slug)[0]


def recently_published(rt: Runtime, count: int = 20) -> list[Notice]:
    """The last ``count`` published notices, newest first."""
    published = lookups.notices(rt, state=NoticeState.PUBLISHED)
    return sorted(published, key=lambda n: (n.published_at or n.created_at, n.id), reverse=True)[:count]


def pending_notices(rt: Runtime) -> tuple[list[Notice], list[Notice]]:
    """Drafts and scheduled notices, the scheduled ones soonest first."""
    drafts = lookups.notices(rt, state=NoticeState.DRAFT)
    scheduled = lookups.notices(rt, state=NoticeState.SCHEDULED)
    return drafts, sorted(scheduled, key=lambda n: (n.publish_at or n.created_at, n.id))


MAX_UNITS = 1_000_000_000


def set_sku(rt: Runtime, slug: str, form: Form) -> Launch:
    """Add a SKU, or replace the titles and cap of the SKU of that code (an empty cap: none)."""
    sku = Sku(
        code=form.get("code", "").strip(),
        titles=texts(form, "title"),
        cap=whole_number(form, "cap", 0, MAX_UNITS),
    )
    return reservations.set_sku(rt, SetSku(launch_slug=slug, sku=sku))


def set_limit(rt: Runtime, slug: str, form: Form) -> Launch:
    limit = whole_number(form, "per_customer_limit", 1, 1_000_000)
    if limit is None:
        raise InvalidInput("per_customer_limit is required", code=codes.INVALID_NUMBER)
    return reservations.set_limit(rt, SetLimit(launch_slug=slug, per_customer_limit=limit))
