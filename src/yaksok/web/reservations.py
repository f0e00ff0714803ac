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


class StandingOut(msgspec.Struct):
    code: str
    launch: str
    sequence: int
    state: ReservationState
    place: int | None
    sku: str
    quantity: int
    pickup_store: str | None
    ships: str | None  # the next shipping batch's promise in words; None: not yet scheduled
    cancelled_at: str | None


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
    return _json(_out(found.reservation, found.place, ships))


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
