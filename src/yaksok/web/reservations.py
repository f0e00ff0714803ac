"""A customer's own reservation: ``GET /reservations/{code}?secret=…`` and its cancellation.

The secret is the proof of holding the reservation; a wrong secret and an unknown code get the
same 404, so codes cannot be probed. A browser (``Accept: text/html``) gets the page
(``pages.reservation``), whose form cancels with the secret as a form field and comes back to it.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from yaksok.channels import when
from yaksok.domain.commands import CancelReservation
from yaksok.domain.errors import NotFound
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.services import reservations
from yaksok.services.runtime import Runtime
from yaksok.web.errors import REQUEST_MALFORMED_JSON, BadRequest
from yaksok.web.pages.reservation import reservation_page
from yaksok.web.pages.templating import not_found
from yaksok.web.rate_limit import RateLimit, client_address

_FORM = "application/x-www-form-urlencoded"


class ShipDateChangeOut(msgspec.Struct):
    run: int
    at: str
    old: str | None
    new: str | None
    reason: str  # first_scheduled, batch_added, batch_moved, cancellation_ahead, line_changed, cancelled
    batch: int | None  # the batch the reason names


class StandingOut(msgspec.Struct):
    code: str
    launch: str
    sequence: int
    state: ReservationState
    place: int | None
    sku: str
    quantity: int
    pickup_store: str | None
    # The expected date in words (for a launch never allocated: the next shipping milestone's
    # promise); None: not yet scheduled.
    ships: str | None
    cancelled_at: str | None
    ship_date: str | None = None  # YYYY-MM-DD from the last allocation run; None: not yet scheduled
    ship_kind: str | None = None  # "ship" or "pickup" (at pickup_store)
    ship_date_history: list[ShipDateChangeOut] = []


class CancelBody(msgspec.Struct, forbid_unknown_fields=True):
    secret: str


def routes() -> list[BaseRoute]:
    return [
        Route("/reservations/{code}", show, methods=["GET"], name="reservation"),
        Route("/reservations/{code}/cancel", cancel, methods=["POST"], name="reservation_cancel"),
    ]


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.rt
    return rt


def show(request: Request) -> Response:
    secret = request.query_params.get("secret", "")
    if _reads_html(request):
        try:
            found = reservations.look_up(_rt(request), request.path_params["code"], secret)
        except NotFound:
            return not_found(request)
        return reservation_page(request, found, secret)
    found = reservations.look_up(_rt(request), request.path_params["code"], secret)
    ships = found.ships.promise.describe("en") if found.ships and found.ships.promise else None
    out = _out(found.reservation, found.place, ships)
    expected = found.expected
    if expected is not None:
        out.ships = None if expected.date is None else when.format_day(expected.date, "en")
        out.ship_date = None if expected.date is None else expected.date.isoformat()
        out.ship_kind = None if expected.batch is None else expected.batch.kind.value
        out.ship_date_history = [
            ShipDateChangeOut(
                run=h.run,
                at=h.at.isoformat(),
                old=None if h.old is None else h.old.isoformat(),
                new=None if h.new is None else h.new.isoformat(),
                reason=h.reason.value,
                batch=h.reason_batch or None,
            )
            for h in expected.history
        ]
    return _json(out)


async def cancel(request: Request) -> Response:
    raw = await request.body()
    limit: RateLimit = request.app.state.public_writes
    limit.take(client_address(request.scope.get("client")))
    if request.headers.get("content-type", "").startswith(_FORM):  # the page's form
        secret = parse_qs(raw.decode("utf-8", "replace")).get("secret", [""])[0]
        reservations.cancel(_rt(request), CancelReservation(code=request.path_params["code"], secret=secret))
        lang = request.query_params.get("lang", "")
        back = f"{request.url.path.removesuffix('/cancel')}?secret={quote(secret, safe='')}"
        return RedirectResponse(back + (f"&lang={quote(lang)}" if lang else ""), status_code=303)
    try:
        body = msgspec.json.decode(raw, type=CancelBody)
    except msgspec.DecodeError as exc:  # ValidationError included: the secret is all there is
        raise BadRequest(f'send {{"secret": …}}: {exc}', code=REQUEST_MALFORMED_JSON) from exc
    command = CancelReservation(code=request.path_params["code"], secret=body.secret)
    return _json(_out(reservations.cancel(_rt(request), command), None, None))


def _reads_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _out(reservation: Reservation, place: int | None, ships: str | None) -> StandingOut:
    return StandingOut(
        code=reservation.code,
        launch=reservation.launch_slug,
        sequence=reservation.sequence,
        state=reservation.state,
        place=place,
        sku=reservation.sku,
        quantity=reservation.quantity,
        pickup_store=reservation.pickup_store,
        ships=ships,
        cancelled_at=None if reservation.cancelled_at is None else reservation.cancelled_at.isoformat(),
    )


def _json(out: StandingOut) -> Response:
    headers = {"Cache-Control": "private, no-store"}
    return Response(msgspec.json.encode(out), media_type="application/json", headers=headers)
