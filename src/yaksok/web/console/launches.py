"""Console pages for launches, milestones and promise changes with their live verdict."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.domain.errors import PolicyViolation
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import DEFAULT_CHANNELS
from yaksok.domain.policy import Violation
from yaksok.domain.review import Proposal
from yaksok.services import launches
from yaksok.services.auth import Role
from yaksok.services.launches import Audience
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


@console_view(Role.VIEWER)
def launches_page(visit: Visit) -> Response:
    return visit.page("console/launches.html", launches=actions.launch_list(visit.rt))


@console_view(Role.ADMIN)
def create_launch(visit: Visit) -> Response:
    launch = actions.create_launch(visit.rt, visit.form)
    return _see(f"/console/launches/{launch.slug}")


@console_view(Role.VIEWER)
def launch_page(visit: Visit) -> Response:
    launch, milestones = actions.launch_with_milestones(visit.rt, visit.request.path_params["slug"])
    kinds = [kind.value for kind in MilestoneKind]
    return visit.page("console/launch.html", launch=launch, milestones=milestones, kinds=kinds)


@console_view(Role.EDITOR)
def retitle_launch(visit: Visit) -> Response:
    launch = actions.retitle_launch(visit.rt, visit.request.path_params["slug"], visit.form)
    return _see(f"/console/launches/{launch.slug}")


@console_view(Role.EDITOR)
def add_milestone(visit: Visit) -> Response:
    milestone = actions.add_milestone(visit.rt, visit.request.path_params["slug"], visit.form)
    return _see(f"/console/launches/{milestone.launch_slug}")


def _milestone(
    visit: Visit, *, verdict: list[Violation] | None, audience: Audience | None = None, status: int = 200
) -> Response:
    milestone, launch = actions.milestone_with_launch(visit.rt, visit.request.path_params["milestone_id"])
    return visit.page(
        "console/milestone.html",
        status=status,
        milestone=milestone,
        launch=launch,
        form=visit.form,
        verdict=verdict,
        audience=audience,
        channels=DEFAULT_CHANNELS,
    )


@console_view(Role.VIEWER)
def milestone_page(visit: Visit) -> Response:
    return _milestone(visit, verdict=None)


@console_view(Role.EDITOR)
def verdict(visit: Visit) -> Response:
    """The rules the change in the form would break, nothing written: the whole page for a
    "Check" without JavaScript, only the verdict for htmx as the time is edited."""
    milestone_id = visit.request.path_params["milestone_id"]
    broken = actions.preview_revision(visit.rt, milestone_id, visit.form)
    audience = actions.change_audience(visit.rt, milestone_id, visit.form)
    if visit.request.headers.get("hx-request") == "true":
        launch = actions.milestone_with_launch(visit.rt, milestone_id)[1]
        return visit.page(
            "console/_verdict.html",
            verdict=broken,
            audience=audience,
            launch=launch,
            channels=DEFAULT_CHANNELS,
        )
    return _milestone(visit, verdict=broken, audience=audience)


@console_view(Role.EDITOR)
def revise_promise(visit: Visit) -> Response:
    milestone_id = visit.request.path_params["milestone_id"]
    try:
        done = actions.revise_promise(visit.rt, milestone_id, visit.form)
    except PolicyViolation:
        broken = actions.preview_revision(visit.rt, milestone_id, visit.form)
        return _milestone(visit, verdict=broken, status=422)
    if isinstance(done, Proposal):
        return _see(f"/console/reviews?proposed={done.id}")
    version, notice = done
    return _see(f"/console/milestones/{version.milestone_id}?published={notice.id}")


@console_view(Role.ADMIN)
def set_review(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    launches.set_review(visit.rt, slug, required=visit.form.get("required") == "on")
    return _see(f"/console/launches/{slug}")


@console_view(Role.EDITOR)
def set_languages(visit: Visit) -> Response:
    launch = actions.set_languages(visit.rt, visit.request.path_params["slug"], visit.form)
    return _see(f"/console/launches/{launch.slug}#languages")
