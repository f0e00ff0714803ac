"""Console page for a launch's stock: its batches, a form to record one or move one, the button
that runs allocation, and the last run's summary. Same services as the admin API and the CLI."""

from __future__ import annotations

from datetime import date

from starlette.responses import RedirectResponse, Response

from yaksok.domain import codes
from yaksok.domain.allocation import BatchKind
from yaksok.domain.commands import MoveBatch, RecordBatch
from yaksok.domain.errors import InvalidInput
from yaksok.services import allocation, personal_messages
from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view


@console_view(Role.VIEWER)
def stock_page(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    launch, _ = actions.launch_with_milestones(visit.rt, slug)
    return visit.page(
        "console/stock.html",
        launch=launch,
        batches=allocation.batches_of(visit.rt, slug),
        last_run=allocation.last_run(visit.rt, slug),
        kinds=[kind.value for kind in BatchKind],
        told=personal_messages.told(visit.rt, slug)[0],
    )


@console_view(Role.EDITOR)
def record_batch(visit: Visit) -> Response:
    slug, form = visit.request.path_params["slug"], visit.form
    units = actions.whole_number(form, "units", 1, 10_000_000)
    if units is None:
        raise InvalidInput("units is required", code=codes.INVALID_NUMBER)
    kind = actions.choice(form, "kind", BatchKind, BatchKind.SHIP)
    store = form.get("store", "").strip() or None
    command = RecordBatch(
        launch_slug=slug, sku=form.get("sku", ""), units=units, date=_day(form), kind=kind, store=store
    )
    allocation.record_batch(visit.rt, command)
    return RedirectResponse(f"/console/launches/{slug}/stock", status_code=303)


@console_view(Role.EDITOR)
def move_batch(visit: Visit) -> Response:
    slug, form = visit.request.path_params["slug"], visit.form
    number = actions.whole_number(form, "number", 1, 2**31)
    if number is None:
        raise InvalidInput("number is required", code=codes.INVALID_NUMBER)
    command = MoveBatch(launch_slug=slug, number=number, date=_day(form), reason=form.get("reason", ""))
    allocation.move_batch(visit.rt, command)
    return RedirectResponse(f"/console/launches/{slug}/stock", status_code=303)


@console_view(Role.EDITOR)
def run_allocation(visit: Visit) -> Response:
    slug = visit.request.path_params["slug"]
    allocation.run_allocation(visit.rt, slug)
    return RedirectResponse(f"/console/launches/{slug}/stock#last-run", status_code=303)


def _day(form: actions.Form) -> date:
    raw = form.get("date", "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"date is YYYY-MM-DD, not {raw[:40]!r}", code=codes.STOCK_BATCH_INVALID) from None
