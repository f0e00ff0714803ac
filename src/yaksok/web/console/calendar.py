"""The calendar of everything scheduled: notices, cadence slots, reminders and promised times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.responses import Response

from yaksok.domain.promise import zone_info
from yaksok.services import schedule
from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view


@console_view(Role.VIEWER)
def calendar_page(visit: Visit) -> Response:
    query = dict(visit.request.query_params)
    days = actions.whole_number(query, "days", 1, 92) or schedule.DEFAULT_HORIZON.days
    slug = query.get("launch", "").strip() or None
    if slug is not None:
        actions.launch_with_milestones(visit.rt, slug)  # an unknown launch is a 404, not an empty page
    items = schedule.calendar(visit.rt, launch_slug=slug, horizon=timedelta(days=days))
    launches = actions.launch_list(visit.rt)
    zones = {launch.slug: launch.zone for launch in launches}
    rows = [
        (item, _local(item.at, zones.get(item.launch_slug or "", "UTC")), _utc(item.at)) for item in items
    ]
    return visit.page(
        "console/calendar.html",
        rows=rows,
        days=days,
        launch=slug or "",
        launches=launches,
        now=_utc(visit.rt.clock.now()),
    )


def _local(at: datetime, zone: str) -> str:
    """The time where the launch happens, as its promises are written ("2010-11-09 20:00 Asia/Seoul")."""
    return f"{at.astimezone(zone_info(zone)):%Y-%m-%d (%a) %H:%M} {zone}"


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
