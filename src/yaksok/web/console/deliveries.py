"""Console pages for what went out: a notice's deliveries per channel, and the subscribers with
their delivery history, paused and resumed as the admin API does."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.services import figures, lookups, subscribers
from yaksok.services.auth import Role
from yaksok.web.console.session import Visit, console_view

STATES = ("active", "unconfirmed", "paused", "disabled")


@console_view(Role.VIEWER)
def notice_page(visit: Visit) -> Response:
    notice_id = visit.request.path_params["notice_id"]
    notice = lookups.notice(visit.rt, notice_id)
    channels = figures.notice_deliveries(visit.rt, notice_id)
    return visit.page("console/notice.html", notice=notice, channels=channels)


@console_view(Role.SUPPORT)
def subscribers_page(visit: Visit) -> Response:
    query = visit.request.query_params
    channel, state = query.get("channel") or None, query.get("state") or None
    listing = subscribers.listing(visit.rt, channel, state)
    return visit.page(
        "console/subscribers.html",
        listing=listing,
        channel=channel or "",
        state=state or "",
        states=STATES,
    )


@console_view(Role.SUPPORT)
def subscriber_page(visit: Visit) -> Response:
    found = subscribers.history(visit.rt, visit.request.path_params["subscription_id"])
    missed = visit.request.query_params.get("missed", "")
    return visit.page("console/subscriber.html", history=found, missed=missed if missed.isdigit() else "")


@console_view(Role.EDITOR)
def pause(visit: Visit) -> Response:
    paused = subscribers.pause(visit.rt, visit.request.path_params["subscription_id"])
    return RedirectResponse(f"/console/subscribers/{paused.id}", status_code=303)


@console_view(Role.EDITOR)
def resume(visit: Visit) -> Response:
    resumed = subscribers.resume(visit.rt, visit.request.path_params["subscription_id"])
    return RedirectResponse(
        f"/console/subscribers/{resumed.subscription.id}?missed={resumed.missed}", status_code=303
    )
