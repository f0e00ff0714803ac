"""A customer's reservation as a page (``GET /reservations/{code}?secret=…`` from a browser), in
Korean or English, with a plain form to cancel it: no script needed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels import when
from yaksok.channels.render import format_instant, launch_url
from yaksok.domain.allocation import HistoryEntry
from yaksok.domain.reservation import ReservationState
from yaksok.domain.texts import pick_text
from yaksok.services.reservations import Standing
from yaksok.web.pages import i18n, labels
from yaksok.web.pages.templating import render


@dataclass(frozen=True)
class ReservationView:
    code: str
    secret: str
    launch_title: str
    launch_url: str
    state_label: str
    waitlisted: bool
    place: int | None
    sequence: int
    sku_title: str
    quantity: int
    pickup_store: str | None
    ships: str | None
    cancelled_at: str | None
    pickup: bool = False  # the date is when it is ready at the store
    history: tuple[str, ...] = ()  # each change of the expected date, in words, oldest first


def reservation_page(request: Request, standing: Standing, secret: str) -> Response:
    lang = i18n.choose_lang(request)
    made, launch = standing.reservation, standing.launch
    sku = next((sku for sku in launch.skus if sku.code == made.sku), None)
    ships = standing.ships.promise if standing.ships else None
    shown = when.describe(ships, lang) if ships else None
    pickup = False
    history: tuple[str, ...] = ()
    if standing.expected is not None:  # the launch allocates: its result, not the milestone
        day = standing.expected.date
        shown = None if day is None else when.format_day(day, lang)
        pickup = standing.expected.batch is not None and standing.expected.batch.store is not None
        history = tuple(_change(h, launch.zone, lang) for h in standing.expected.history)
    view = ReservationView(
        code=made.code,
        secret=secret,
        launch_title=launch.title(lang),
        launch_url=launch_url("", launch.slug),
        state_label=labels.RESERVATION_STATES[lang][made.state.value],
        waitlisted=made.state is ReservationState.WAITLISTED,
        place=standing.place,
        sequence=made.sequence,
        sku_title=pick_text(sku.titles, lang, launch.languages) if sku and sku.titles else made.sku,
        quantity=made.quantity,
        pickup_store=made.pickup_store,
        ships=shown,
        cancelled_at=format_instant(made.cancelled_at, launch.zone, lang) if made.cancelled_at else None,
        pickup=pickup,
        history=history,
    )
    path = f"/reservations/{quote(made.code, safe='')}?secret={quote(secret, safe='')}"
    response = render(request, "reservation.html", lang, view=view, path=path)
    response.headers["Cache-Control"] = "private, no-store"  # the page shows the secret
    return response


def _change(change: HistoryEntry, zone: str, lang: str) -> str:
    texts = i18n.STRINGS[lang]
    unscheduled = texts["reservation_not_scheduled"]
    return texts["reservation_history_row"].format(
        at=format_instant(change.at, zone, lang),
        old=unscheduled if change.old is None else when.format_day(change.old, lang),
        new=unscheduled if change.new is None else when.format_day(change.new, lang),
        reason=labels.DATE_CHANGE_REASONS[lang][change.reason.value].format(batch=change.reason_batch),
    )
