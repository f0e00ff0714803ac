"""Console pages for the pre-order: a launch's SKUs, caps and per-customer limit, and its
reservations in line order, exported as the admin API and ``yaksok reservations export`` do."""

from __future__ import annotations

import io

from starlette.responses import RedirectResponse, Response

from yaksok.domain.reservation import ReservationState
from yaksok.services import reservations
from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view, download

PAGE = 100


@console_view(Role.EDITOR)
def set_sku(visit: Visit) -> Response:
    launch = actions.set_sku(visit.rt, visit.request.path_params["slug"], visit.form)
    return RedirectResponse(f"/console/launches/{launch.slug}#offer", status_code=303)


@console_view(Role.EDITOR)
def set_limit(visit: Visit) -> Response:
    launch = actions.set_limit(visit.rt, visit.request.path_params["slug"], visit.form)
    return RedirectResponse(f"/console/launches/{launch.slug}#offer", status_code=303)


def _state(visit: Visit) -> ReservationState | None:
    raw = visit.request.query_params.get("state", "")
    return actions.choice({"state": raw}, "state", ReservationState, ReservationState.QUEUED) if raw else None


@console_view(Role.SUPPORT)
def reservations_page(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    state = _state(visit)
    after = actions.whole_number(dict(visit.request.query_params), "after", 0, 2**62) or 0
    launch, _ = actions.launch_with_milestones(visit.rt, slug)
    found = reservations.reservations_of(visit.rt, slug, state, after=after, limit=PAGE)
    following = found[-1].sequence if len(found) == PAGE else None
    return visit.page(
        "console/reservations.html",
        launch=launch,
        reservations=found,
        state=state.value if state else "",
        states=[s.value for s in ReservationState],
        following=following,
    )


@console_view(Role.SUPPORT)
def reservations_csv(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    out = io.StringIO()
    reservations.export_csv(visit.rt, slug, out, _state(visit))
    return download(out.getvalue(), f"{slug}-reservations.csv")
