"""Admin API: launches, milestones, promises, occurrences and cadences."""

from __future__ import annotations

from datetime import timedelta

from starlette.routing import BaseRoute

from yaksok.domain.review import Proposal
from yaksok.services import cadences, launches, lookups
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import (
    CadenceOut,
    HeldOut,
    LaunchDetailOut,
    LaunchOut,
    MilestoneOut,
    RevisionOut,
)
from yaksok.web.api.views import (
    cadence_view,
    held_view,
    launch_detail_view,
    launch_view,
    milestone_view,
    revision_view,
)

PREFIX = "/api/v1"


def create_launch(call: Call[schemas.NewLaunch]) -> LaunchOut:
    launch = launches.create_launch(call.rt, call.body.to_command())
    return launch_view(launch, call.settings.public_url)


def list_launches(call: Call[None]) -> list[LaunchOut]:
    return [launch_view(launch, call.settings.public_url) for launch in lookups.launches(call.rt)]


def get_launch(call: Call[None]) -> LaunchDetailOut:
    launch, milestones = lookups.launch(call.rt, call.path["slug"])
    return launch_detail_view(launch, milestones, call.settings.public_url)


def retitle_launch(call: Call[schemas.Retitle]) -> LaunchOut:
    launch = launches.retitle_launch(call.rt, call.body.of_launch(call.path["slug"]))
    return launch_view(launch, call.settings.public_url)


def set_reminder_offsets(call: Call[schemas.ReminderOffsets]) -> LaunchOut:
    offsets = [timedelta(hours=hours) for hours in call.body.hours]
    launch = launches.set_reminder_offsets(call.rt, call.path["slug"], offsets)
    return launch_view(launch, call.settings.public_url)


def set_languages(call: Call[schemas.LanguagesSetting]) -> LaunchOut:
    launch = launches.set_languages(call.rt, call.body.to_command(call.path["slug"]))
    return launch_view(launch, call.settings.public_url)


def add_milestone(call: Call[schemas.NewMilestone]) -> MilestoneOut:
    milestone = launches.add_milestone(call.rt, call.body.to_command(call.path["slug"]))
    return milestone_view(milestone)


def get_milestone(call: Call[None]) -> MilestoneOut:
    return milestone_view(lookups.milestone(call.rt, call.path["milestone_id"]))


def retitle_milestone(call: Call[schemas.Retitle]) -> MilestoneOut:
    milestone = launches.retitle_milestone(call.rt, call.body.of_milestone(call.path["milestone_id"]))
    return milestone_view(milestone)


def set_review(call: Call[schemas.ReviewSetting]) -> LaunchOut:
    launch = launches.set_review(call.rt, call.path["slug"], required=call.body.required)
    return launch_view(launch, call.settings.public_url)


def revise_promise(call: Call[schemas.PromiseRevision]) -> RevisionOut | HeldOut:
    done = launches.revise_promise(call.rt, call.body.to_command(call.path["milestone_id"]))
    if isinstance(done, Proposal):
        return held_view(done, call.actor)
    return revision_view(*done, call.settings.public_url)


def cancel_milestone(call: Call[schemas.Cancellation]) -> RevisionOut | HeldOut:
    done = launches.cancel_milestone(call.rt, call.body.to_command(call.path["milestone_id"]))
    if isinstance(done, Proposal):
        return held_view(done, call.actor)
    return revision_view(*done, call.settings.public_url)


def record_occurrence(call: Call[schemas.OccurrenceReport]) -> MilestoneOut:
    milestone = launches.record_occurrence(call.rt, call.body.to_command(call.path["milestone_id"]))
    return milestone_view(milestone)


def create_cadence(call: Call[schemas.NewCadence]) -> CadenceOut:
    cadence = cadences.create_cadence(call.rt, call.body.to_command(call.path["slug"]))
    return cadence_view(cadence, call.rt.clock.now())


def list_cadences(call: Call[None]) -> list[CadenceOut]:
    now = call.rt.clock.now()
    return [cadence_view(cadence, now) for cadence in lookups.cadences(call.rt, call.path["slug"])]


def end_cadence(call: Call[schemas.CadenceEnd]) -> CadenceOut:
    cadence = cadences.end_cadence(call.rt, call.body.to_command(call.path["cadence_id"]))
    return cadence_view(cadence, call.rt.clock.now(), active=False)


def routes() -> list[BaseRoute]:
    launch, milestone = f"{PREFIX}/launches/{{slug}}", f"{PREFIX}/milestones/{{milestone_id}}"
    editor, viewer = Role.EDITOR, Role.VIEWER
    return [
        operation("POST", f"{PREFIX}/launches", create_launch, role=Role.ADMIN, tag="launches",
                  summary="Create a launch", body=schemas.NewLaunch, status=201),
        operation("GET", f"{PREFIX}/launches", list_launches, role=viewer, tag="launches",
                  summary="List launches"),
        operation("GET", launch, get_launch, role=viewer, tag="launches",
                  summary="A launch with its milestones and their promise versions"),
        operation("PATCH", launch, retitle_launch, role=editor, tag="launches",
                  summary="Correct the launch's titles (recorded in the ledger)", body=schemas.Retitle),
        operation("PUT", f"{launch}/reminder-offsets", set_reminder_offsets, role=editor, tag="launches",
                  body=schemas.ReminderOffsets,
                  summary="Set how long before each exact promise subscribers are reminded (in the ledger)"),
        operation("PUT", f"{launch}/languages", set_languages, role=editor, tag="launches",
                  body=schemas.LanguagesSetting,
                  summary="Set the languages the launch publishes in, the first its primary (in the ledger)"),
        operation("PUT", f"{launch}/review", set_review, role=Role.ADMIN, tag="launches",
                  body=schemas.ReviewSetting,
                  summary="Set whether operators' promise changes and notices wait for a second operator"),
        operation("POST", f"{launch}/milestones", add_milestone, role=editor, tag="milestones",
                  summary="Add a milestone to a launch", body=schemas.NewMilestone, status=201),
        operation("GET", milestone, get_milestone, role=viewer, tag="milestones",
                  summary="A milestone with its current promise and every version"),
        operation("PATCH", milestone, retitle_milestone, role=editor, tag="milestones",
                  summary="Correct the milestone's titles (recorded in the ledger)", body=schemas.Retitle),
        operation("POST", f"{milestone}/promises", revise_promise, role=editor, tag="milestones",
                  summary="Make or change the milestone's promise, announced by a notice at once "
                  "(under review: 202 with the proposal)",
                  body=schemas.PromiseRevision, status=201),
        operation("POST", f"{milestone}/cancel", cancel_milestone, role=editor, tag="milestones",
                  summary="Cancel the milestone, announced by a notice at once "
                  "(under review: 202 with the proposal)",
                  body=schemas.Cancellation, status=201),
        operation("POST", f"{milestone}/occurrence", record_occurrence, role=editor, tag="milestones",
                  summary="Record when the milestone really happened (default: now)",
                  body=schemas.OccurrenceReport, status=201),
        operation("POST", f"{launch}/cadences", create_cadence, role=editor, tag="cadences",
                  summary="Add a recurring update slot", body=schemas.NewCadence, status=201),
        operation("GET", f"{launch}/cadences", list_cadences, role=viewer, tag="cadences",
                  summary="The launch's active cadences"),
        operation("POST", f"{PREFIX}/cadences/{{cadence_id}}/end", end_cadence, role=editor, tag="cadences",
                  summary="End a cadence: no slot after now gets a notice (recorded in the ledger)",
                  body=schemas.CadenceEnd),
    ]  # fmt: skip
