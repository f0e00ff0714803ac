"""Every call the console makes into the services, in one place, from form fields.

The admin API's routes call the same functions; a form's fields are read here into the
services' arguments (texts per language, times in a zone), so the pages stay thin.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from yaksok.channels import render
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.policy import Violation
from yaksok.domain.promise import Promise, PromiseVersion
from yaksok.services import launches, lookups, notices
from yaksok.services.runtime import Runtime

Form = Mapping[str, str]


def texts(form: Form, name: str) -> dict[str, str]:
    """``name_ko`` and ``name_en`` as per-language texts, empty ones left out."""
    return {lang: form[f"{name}_{lang}"] for lang in ("ko", "en") if form.get(f"{name}_{lang}", "").strip()}


def create_launch(rt: Runtime, form: Form) -> Launch:
    return launches.create_launch(
        rt, slug=form.get("slug", "").strip(), titles=texts(form, "title"), zone=form.get("zone", "").strip()
    )


def retitle_launch(rt: Runtime, slug: str, form: Form) -> Launch:
    return launches.retitle_launch(rt, slug, titles=texts(form, "title"))


def add_milestone(rt: Runtime, slug: str, form: Form) -> Milestone:
    return launches.add_milestone(
        rt,
        launch_slug=slug,
        key=form.get("key", "").strip(),
        kind=form.get("kind", "custom"),
        titles=texts(form, "title"),
    )


def preview_revision(rt: Runtime, milestone_id: str, form: Form) -> list[Violation]:
    return launches.preview_revision(
        rt,
        milestone_id,
        time=form.get("time", "").strip() or None,
        precision=form.get("precision", "exact"),
        reason=texts(form, "reason"),
    )


def revise_promise(rt: Runtime, milestone_id: str, form: Form) -> tuple[PromiseVersion, Notice]:
    override = texts(form, "override")
    return launches.revise_promise(
        rt,
        milestone_id,
        time=form.get("time", "").strip() or None,
        precision=form.get("precision", "exact"),
        reason=texts(form, "reason"),
        override=override or None,
    )


def compose_notice(rt: Runtime, form: Form) -> Notice:
    """A general notice from the composer: kept as a draft, scheduled at ``publish_at`` (wall
    time in ``zone``) or published now, as the button pressed (``action``) says."""
    action = form.get("action", "draft")
    slug = form.get("launch", "").strip() or None
    return notices.create_notice(
        rt,
        kind=NoticeKind.GENERAL,
        titles=texts(form, "title"),
        bodies=texts(form, "body"),
        launch_slug=slug,
        publish_at=publish_at(form) if action == "schedule" else None,
        publish_now=action == "publish",
    )


def publish_at(form: Form) -> datetime | None:
    """The exact instant a notice is scheduled for, read as a promise's exact time is."""
    instant = Promise.parse(form.get("publish_at", "").strip() or None, form.get("zone", "UTC"), "exact")
    return instant.at


def body_previews(rt: Runtime, form: Form) -> dict[str, str]:
    """The composer's bodies as the board will show them (safe HTML, placeholders expanded)."""
    draft = Notice(
        id="preview",
        kind=NoticeKind.GENERAL,
        titles=texts(form, "title"),
        bodies=texts(form, "body"),
        created_at=rt.clock.now(),
    )
    milestones = {m.id: m for m in all_milestones(rt)}
    return {lang: render.body_html(draft, lang, milestones) for lang in ("ko", "en")}


def all_milestones(rt: Runtime) -> list[Milestone]:
    return [m for launch in lookups.launches(rt) for m in lookups.launch(rt, launch.slug)[1]]


def launch_list(rt: Runtime) -> list[Launch]:
    return lookups.launches(rt)


def launch_with_milestones(rt: Runtime, slug: str) -> tuple[Launch, list[Milestone]]:
    return lookups.launch(rt, slug)


def milestone_with_launch(rt: Runtime, milestone_id: str) -> tuple[Milestone, Launch]:
    milestone = lookups.milestone(rt, milestone_id)
    return milestone, lookups.launch(rt, milestone.launch_slug)[0]


def pending_notices(rt: Runtime) -> tuple[list[Notice], list[Notice]]:
    """Drafts and scheduled notices, the scheduled ones soonest first."""
    drafts = lookups.notices(rt, state=NoticeState.DRAFT)
    scheduled = lookups.notices(rt, state=NoticeState.SCHEDULED)
    return drafts, sorted(scheduled, key=lambda n: (n.publish_at or n.created_at, n.id))
