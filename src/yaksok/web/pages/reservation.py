"""A customer's reservation as a page (``GET /reservations/{code}?secret=…`` from a browser), in
Korean or English, with a plain form to cancel it: no script needed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels import when
from yaksok.channels.render import format_instant, launch_url
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


def reservation_page(request: Request, standing: Standing, secret: str) -> Response:
    lang = i18n.choose_lang(request)
    made, launch = standing.reservation, standing.launch
    sku = next((sku for sku in launch.skus if sku.code == made.sku), None)
    ships = standing.ships.promise if standing.ships else None
    view = ReservationView(
        code=made.code,
        secret=secret,
        launch_title=launch.title(lang),
        launch_url=launch_url("", launch.slug),
        state_label=labels.RESERVATION_STATES[lang][made.state.value],
        waitlisted=made.state is ReservationState.WAITLISTED,
        place=standing.place,
        sequence=made.sequence,
        sku_title=pick_text(sku.titles, lang) if sku and sku.titles else made.sku,
        quantity=made.quantity,
        pickup_store=made.pickup_store,
        ships=when.describe(ships, lang) if ships else None,
        cancelled_at=format_instant(made.cancelled_at, launch.zone, lang) if made.cancelled_at else None,
    )
    path = f"/reservations/{quote(made.code, safe='')}?secret={quote(secret, safe='')}"
    response = render(request, "reservation.html", lang, view=view, path=path)
    response.headers["Cache-Control"] = "private, no-store"  # the page shows the secret
    return response
