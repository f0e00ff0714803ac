"""Console page for a launch's waiting room: what its visitors see now, the pre-queue's figures,
the commitment and beacon an outsider can check, and the settings form. Same services as the
admin API (``PUT /api/v1/launches/{slug}/waiting-room``) and ``yaksok waiting-room``."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.domain import codes
from yaksok.domain.commands import BeaconSetting, ConfigureWaitingRoom
from yaksok.domain.errors import InvalidInput
from yaksok.domain.promise import Precision, Promise, zone_info
from yaksok.domain.subscription import allowed_networks
from yaksok.services import waiting_room
from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view


@console_view(Role.VIEWER)
def room_page(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    launch, _ = actions.launch_with_milestones(visit.rt, slug)
    found = waiting_room.overview(visit.rt, slug)
    opens = found.status.room.prequeue_opens.astimezone(zone_info(launch.zone)) if found else None
    return visit.page(
        "console/waiting_room.html",
        launch=launch,
        overview=found,
        prequeue_local=opens.strftime("%Y-%m-%dT%H:%M") if opens else "",
    )


@console_view(Role.EDITOR)
def configure_room(visit: Visit) -> Response:
    slug, form = visit.request.path_params["slug"], visit.form
    launch, _ = actions.launch_with_milestones(visit.rt, slug)
    rate = _rate(form.get("admit_per_second", ""))
    minutes = actions.whole_number(form, "token_minutes", 1, 24 * 60)
    if minutes is None:
        raise InvalidInput("token_minutes is required", code=codes.INVALID_NUMBER)
    opens = Promise.parse(form.get("prequeue_opens", "").strip() or None, launch.zone, Precision.EXACT).at
    assert opens is not None
    url = form.get("beacon_url", "").strip()
    command = ConfigureWaitingRoom(
        launch_slug=slug,
        enabled=form.get("enabled") == "on",
        prequeue_opens=opens,
        admit_per_second=rate,
        token_minutes=minutes,
        beacon=BeaconSetting(url=url) if url else None,
    )
    allow = allowed_networks(visit.request.app.state.settings.webhook_allow_hosts)
    waiting_room.configure(visit.rt, command, allow=allow)
    return RedirectResponse(f"/console/launches/{slug}/waiting-room", status_code=303)


def _rate(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise InvalidInput("admit_per_second must be a number", code=codes.INVALID_NUMBER) from None
