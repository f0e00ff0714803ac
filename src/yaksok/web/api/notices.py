"""Admin API: notices (draft → scheduled → published, corrections) and clarifications."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.domain import codes
from yaksok.domain.notice import Notice, NoticeState
from yaksok.domain.review import Proposal
from yaksok.services import figures, lookups, notices
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import B, Call, operation
from yaksok.web.api.responses import (
    HeldOut,
    NoticeDeliveriesOut,
    NoticeOut,
)
from yaksok.web.api.views import deliveries_out, held_view, notice_view

PREFIX = "/api/v1"


def _view(call: Call[B], done: Notice | Proposal) -> NoticeOut | HeldOut:
    if isinstance(done, Proposal):
        return held_view(done, call.actor)
    return notice_view(done, call.settings.public_url)


def create_notice(call: Call[schemas.NewNotice]) -> NoticeOut | HeldOut:
    return _view(call, notices.create_notice(call.rt, call.body.to_command()))


def supersede_notice(call: Call[schemas.Correction]) -> NoticeOut | HeldOut:
    return _view(call, notices.create_notice(call.rt, call.body.to_command(call.path["notice_id"])))


def list_notices(call: Call[None]) -> list[NoticeOut]:
    state = call.enum_param("state", NoticeState)
    launch = call.id_param("launch", codes.LAUNCH_NOT_FOUND)
    found = lookups.notices(call.rt, state=state, launch_slug=launch)
    return [notice_view(notice, call.settings.public_url) for notice in found]


def get_notice(call: Call[None]) -> NoticeOut:
    return notice_view(lookups.notice(call.rt, call.path["notice_id"]), call.settings.public_url)


def notice_deliveries(call: Call[None]) -> NoticeDeliveriesOut:
    notice_id = call.path["notice_id"]
    lookups.notice(call.rt, notice_id)  # a role limited to other launches is refused here
    channels = figures.notice_deliveries(call.rt, notice_id)
    return NoticeDeliveriesOut(
        notice_id=notice_id,
        channels={channel: deliveries_out(f) for channel, f in channels.items()},
    )


def edit_notice(call: Call[schemas.NoticeEdit]) -> NoticeOut:
    notice = notices.edit_notice(call.rt, call.body.to_command(call.path["notice_id"]))
    return notice_view(notice, call.settings.public_url)


def schedule_notice(call: Call[schemas.Schedule]) -> NoticeOut | HeldOut:
    return _view(call, notices.schedule_notice(call.rt, call.body.to_command(call.path["notice_id"])))


def unschedule_notice(call: Call[None]) -> NoticeOut:
    return notice_view(notices.unschedule_notice(call.rt, call.path["notice_id"]), call.settings.public_url)


def publish_notice(call: Call[None]) -> NoticeOut | HeldOut:
    return _view(call, notices.publish_notice(call.rt, call.path["notice_id"]))


def clarify(call: Call[schemas.NewClarification]) -> NoticeOut | HeldOut:
    return _view(call, notices.clarify(call.rt, call.body.to_command()))


_LIST_QUERY = (
    ("state", "only notices in this state: draft, scheduled or published"),
    ("launch", "only notices of this launch (slug)"),
)


def routes() -> list[BaseRoute]:
    notice = f"{PREFIX}/notices/{{notice_id}}"
    editor, viewer = Role.EDITOR, Role.VIEWER
    return [
        operation("POST", f"{PREFIX}/notices", create_notice, role=editor, tag="notices",
                  summary="Write a notice: a draft, scheduled (publish_at) or published now (publish_now)",
                  body=schemas.NewNotice, status=201),
        operation("GET", f"{PREFIX}/notices", list_notices, role=viewer, tag="notices",
                  summary="List notices, oldest first, drafts included", query=_LIST_QUERY),
        operation("GET", notice, get_notice, role=viewer, tag="notices", summary="A notice, in any state"),
        operation("GET", f"{notice}/deliveries", notice_deliveries, role=viewer, tag="notices",
                  summary="The notice's deliveries per channel: delivered, pending, failed, p50/p99 latency"),
        operation("PATCH", notice, edit_notice, role=editor, tag="notices",
                  summary="Edit a draft or scheduled notice (a published one is immutable)",
                  body=schemas.NoticeEdit),
        operation("POST", f"{notice}/schedule", schedule_notice, role=editor, tag="notices",
                  summary="Schedule the notice for publish_at", body=schemas.Schedule),
        operation("POST", f"{notice}/unschedule", unschedule_notice, role=editor, tag="notices",
                  summary="Take a scheduled notice back to draft"),
        operation("POST", f"{notice}/publish", publish_notice, role=editor, tag="notices",
                  summary="Publish the notice now, on every channel"),
        operation("POST", f"{notice}/supersede", supersede_notice, role=editor, tag="notices",
                  summary="Publish a correction that supersedes a published notice (now unless publish_at)",
                  body=schemas.Correction, status=201),
        operation("POST", f"{PREFIX}/clarifications", clarify, role=editor, tag="notices",
                  summary="Answer a claim made elsewhere (press, rumour) with a verdict, published now",
                  body=schemas.NewClarification, status=201),
    ]  # fmt: skip
