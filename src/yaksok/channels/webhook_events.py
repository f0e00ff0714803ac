"""What a webhook says: each notice as a Standard Webhooks event (``notice.published``,
``promise.changed``, ``reminder.due``), in one language, with a slot for each subscriber's own
manage link. How it is signed and sent is ``channels.webhook``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from yaksok.channels import render
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice, Reminded
from yaksok.domain.promise import Promise, PromiseVersion
from yaksok.domain.reminder import LATE_AFTER
from yaksok.domain.texts import pick_text

# Each event's JSON Schema is served at /static/schemas/{type}.json (docs/schemas/ in the source).
EVENT_TYPES = ("notice.published", "promise.changed", "reminder.due")


def event_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """The event a notice is to webhooks, in ``lang``, as every attempt sends it: ``reminder.due``
    for a reminder, ``promise.changed`` for the notice of a promise (the first one too), else
    ``notice.published``. Every event's ``data`` has the notice's fields; the first two add theirs."""
    assert notice.published_at is not None and notice.publish_at is not None
    data: dict[str, object] = {
        "notice": notice.id,
        "kind": notice.kind.value,
        "launch": notice.launch_slug,
        "language": lang,
        "title": notice.title(lang),
        "body": render.body_text(notice, lang, milestones),
        "url": render.notice_url(base_url, notice.id),
        "publish_at": notice.publish_at.isoformat(),
        "published_at": notice.published_at.isoformat(),
        "supersedes": notice.supersedes,
    }
    kind = "notice.published"
    if notice.reminder is not None:
        kind = "reminder.due"
        data.update(_reminded(notice.reminder, lang, milestones, notice.published_at))
    else:
        promised = _promise_of(notice, milestones)
        if promised is not None:
            kind = "promise.changed"
            data.update(_promise_data(*promised, lang))
    data["manage_url"] = MANAGE_SLOT  # last: each subscriber's own link goes there (``manage_parts``)
    event = {"type": kind, "timestamp": notice.published_at.isoformat(), "data": data}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


# Every event carries the subscriber's own signed link to manage what it gets (``data.manage_url``,
# signed with the rest of the body). The body is rendered once per notice and language with this
# slot at its very end; each subscriber's message is that body with its link in the slot.
MANAGE_SLOT = "{manage_url}"
_SLOT_END = b'"manage_url":"{manage_url}"}}'


def manage_parts(body: bytes, manage_prefix: str) -> tuple[bytes, bytes]:
    """An event as ``event_body`` renders it, cut where a subscriber's manage token goes: the
    two parts with the token between are the subscriber's event, its ``data.manage_url`` being
    ``manage_prefix`` + token (a token is URL- and JSON-safe as it is)."""
    if not body.endswith(_SLOT_END):
        raise ValueError("not an event with a manage_url slot")
    prefix = json.dumps(manage_prefix, ensure_ascii=False)[1:-1].encode()
    return body[: -len(_SLOT_END)] + b'"manage_url":"' + prefix, b'"}}'


def _reminded(
    reminded: Reminded, lang: str, milestones: Mapping[str, Milestone], sent_at: datetime
) -> dict[str, object]:
    milestone = milestones.get(reminded.milestone_id)
    return {
        "milestone": reminded.milestone_id,
        "milestone_title": milestone.title(lang) if milestone is not None else "",
        "version": reminded.version,
        "promised_at": reminded.at.isoformat(),
        "due_at": reminded.due_at.isoformat(),
        "offset_seconds": reminded.offset_seconds,
        "late": sent_at - reminded.due_at > LATE_AFTER,
    }


def _promise_of(
    notice: Notice, milestones: Mapping[str, Milestone]
) -> tuple[Milestone, PromiseVersion, PromiseVersion | None] | None:
    """The milestone, promise version and the one before it that ``notice`` announced, if any."""
    for milestone_id in notice.milestone_ids:
        milestone = milestones.get(milestone_id)
        if milestone is None:
            continue
        for index, version in enumerate(milestone.versions):
            if version.notice_id == notice.id:
                return milestone, version, milestone.versions[index - 1] if index else None
    return None


def _promise_data(
    milestone: Milestone, version: PromiseVersion, previous: PromiseVersion | None, lang: str
) -> dict[str, object]:
    return {
        "milestone": milestone.id,
        "milestone_title": milestone.title(lang),
        "version": version.version,
        "change_kind": None if version.change_kind is None else version.change_kind.value,
        "promise": _promise(version.promise, lang),
        "previous": None if previous is None else _promise(previous.promise, lang),
        "reason": pick_text(version.reason, lang) if version.reason else "",
    }


def _promise(promise: Promise, lang: str) -> dict[str, object]:
    return {
        "at": None if promise.at is None else promise.at.isoformat(),
        "zone": promise.zone,
        "precision": promise.precision.value,
        "described": promise.describe(lang),
    }
