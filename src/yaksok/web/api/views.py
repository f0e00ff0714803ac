"""Domain objects as the admin API's JSON. Instants are ISO 8601 with an offset (UTC)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from yaksok.domain.cadence import WEEKDAY_NAMES, Cadence
from yaksok.domain.launch import Launch, Milestone, Occurrence
from yaksok.domain.notice import Notice
from yaksok.domain.promise import Promise, PromiseVersion

JSON = dict[str, Any]


def instant(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def promise_view(promise: Promise) -> JSON:
    """``local`` is the wall time in the promise's zone (with its offset); ``described`` is the
    one wording every channel uses."""
    return {
        "at": instant(promise.at),
        "zone": promise.zone,
        "precision": promise.precision.value,
        "local": instant(promise.local),
        "described": promise.describe("en"),
        "described_ko": promise.describe("ko"),
    }


def version_view(version: PromiseVersion) -> JSON:
    return {
        "milestone": version.milestone_id,
        "version": version.version,
        "promise": promise_view(version.promise),
        "made_at": instant(version.made_at),
        "reason": version.reason,
        "change_kind": None if version.change_kind is None else version.change_kind.value,
        "notice": version.notice_id,
        "overridden": list(version.overridden),
        "justification": version.justification,
    }


def _occurrence_view(occurrence: Occurrence | None) -> JSON | None:
    if occurrence is None:
        return None
    return {
        "at": instant(occurrence.at),
        "recorded_at": instant(occurrence.recorded_at),
        "note": occurrence.note,
    }


def milestone_view(milestone: Milestone) -> JSON:
    return {
        "id": milestone.id,
        "launch": milestone.launch_slug,
        "key": milestone.key,
        "kind": milestone.kind.value,
        "titles": milestone.titles,
        "promise": None if milestone.promise is None else promise_view(milestone.promise),
        "cancelled": milestone.cancelled,
        "occurrence": _occurrence_view(milestone.occurrence),
        "versions": [version_view(version) for version in milestone.versions],
    }


def launch_view(launch: Launch, base_url: str) -> JSON:
    return {
        "slug": launch.slug,
        "titles": launch.titles,
        "zone": launch.zone,
        "market": launch.market,
        "skus": [{"code": sku.code, "titles": sku.titles} for sku in launch.skus],
        "per_customer_limit": launch.per_customer_limit,
        "policy": launch.policy.to_dict(),
        "url": f"{base_url}/launches/{launch.slug}",
    }


def notice_view(notice: Notice, base_url: str) -> JSON:
    lateness = notice.lateness
    claim = notice.claim
    return {
        "id": notice.id,
        "kind": notice.kind.value,
        "state": notice.state.value,
        "launch": notice.launch_slug,
        "milestones": list(notice.milestone_ids),
        "titles": notice.titles,
        "bodies": notice.bodies,
        "channels": list(notice.channels),
        "publish_at": instant(notice.publish_at),
        "published_at": instant(notice.published_at),
        "lateness_seconds": None if lateness is None else lateness.total_seconds(),
        "supersedes": notice.supersedes,
        "claim": None if claim is None else claim.to_dict(),
        "overridden": list(notice.overridden),
        "justification": notice.justification,
        "next_update_at": instant(notice.next_update_at),
        "cadence": notice.cadence_id,
        "created_at": instant(notice.created_at),
        "url": f"{base_url}/notices/{notice.id}",
    }


def cadence_view(cadence: Cadence, now: datetime) -> JSON:
    return {
        "id": cadence.id,
        "launch": cadence.launch_slug,
        "weekdays": [WEEKDAY_NAMES[day] for day in cadence.weekdays],
        "at": cadence.local_time.strftime("%H:%M"),
        "zone": cadence.zone,
        "titles": cadence.titles,
        "kind": cadence.kind.value,
        "next_slot": instant(cadence.next_slot(cadence.last_slot_at or now)),
    }
