"""Admin API for a launch's pre-order: its SKUs, caps and per-customer limit (editor), and its
reservations, listed or exported as CSV (support: customer data, never in the ledger)."""

from __future__ import annotations

import io

from starlette.routing import BaseRoute

from yaksok.domain.personal_message import AnswerNote, PersonalMessage, ShipDate
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.services import personal_messages, reservations
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import (
    LaunchOut,
    PersonalMessageOut,
    PersonalMessagesOut,
    ReservationOut,
    ReservationPageOut,
)
from yaksok.web.api.views import deliveries_out, launch_view

PREFIX = "/api/v1"


def set_sku(call: Call[schemas.SkuSetting]) -> LaunchOut:
    launch = reservations.set_sku(call.rt, call.body.to_command(call.path["slug"], call.path["code"]))
    return launch_view(launch, call.settings.public_url)


def set_limit(call: Call[schemas.LimitSetting]) -> LaunchOut:
    launch = reservations.set_limit(call.rt, call.body.to_command(call.path["slug"]))
    return launch_view(launch, call.settings.public_url)


def list_reservations(call: Call[None]) -> ReservationPageOut:
    limit = call.int_param("limit", 100, 1, reservations.MAX_PAGE)
    page = reservations.reservations_of(
        call.rt,
        call.path["slug"],
        call.enum_param("state", ReservationState),
        after=call.int_param("after", 0, 0, 2**62),
        limit=limit,
    )
    next_after = page[-1].sequence if len(page) == limit else None
    return ReservationPageOut(reservations=[_view(r) for r in page], next_after=next_after)


def export_reservations(call: Call[None]) -> str:
    out = io.StringIO()
    state = call.enum_param("state", ReservationState)
    reservations.export_csv(call.rt, call.path["slug"], out, state)
    return out.getvalue()


def _view(reservation: Reservation) -> ReservationOut:
    return ReservationOut(
        sequence=reservation.sequence,
        code=reservation.code,
        state=reservation.state,
        sku=reservation.sku,
        quantity=reservation.quantity,
        contact=reservation.contact,
        pickup_store=reservation.pickup_store,
        created_at=reservation.created_at.isoformat(),
        cancelled_at=None if reservation.cancelled_at is None else reservation.cancelled_at.isoformat(),
        language=reservation.language,
    )


def told(call: Call[None]) -> PersonalMessagesOut:
    slug = call.path["slug"]
    limit = call.int_param("limit", 100, 1, 1000)
    figures, latest = personal_messages.told(call.rt, slug, limit)
    return PersonalMessagesOut(
        kinds={kind: deliveries_out(f) for kind, f in figures.items()},
        latest=[_message(m) for m in latest],
    )


def _message(m: PersonalMessage) -> PersonalMessageOut:
    ship = m.about if isinstance(m.about, ShipDate) else None
    return PersonalMessageOut(
        id=m.id,
        kind=m.kind.value,
        sequence=ship.sequence if ship else None,
        date=ship.date if ship else None,
        previous=ship.previous if ship else None,
        reason=ship.reason if ship else None,
        question=None if ship or not isinstance(m.about, AnswerNote) else m.about.question_id,
        contact=m.contact,
        language=m.language,
        due_at=m.due_at.isoformat(),
        status=m.status.value,
        attempts=m.attempts,
        delivered_at=None if m.delivered_at is None else m.delivered_at.isoformat(),
        last_error=m.last_error,
    )


def routes() -> list[BaseRoute]:
    launch = f"{PREFIX}/launches/{{slug}}"
    editor, support = Role.EDITOR, Role.SUPPORT
    state = ("state", "only reservations in this state: queued, waitlisted or cancelled")
    return [
        operation("PUT", f"{launch}/skus/{{code}}", set_sku, role=editor, tag="pre-order",
                  summary="Add a SKU or set its titles and cap (null: no cap); a cap below the units "
                  "already held is refused (recorded in the ledger)", body=schemas.SkuSetting),
        operation("PUT", f"{launch}/per-customer-limit", set_limit, role=editor, tag="pre-order",
                  summary="Set the per-customer limit for later reservations (recorded in the ledger)",
                  body=schemas.LimitSetting),
        operation("GET", f"{launch}/reservations", list_reservations, role=support, tag="pre-order",
                  summary="A page of the launch's reservations in sequence order (customer data)",
                  query=(state, ("after", "only sequences above this one (next_after of the page before)"),
                         ("limit", "at most this many, 1-1000 (default 100)"))),
        operation("GET", f"{launch}/reservations.csv", export_reservations, role=support, tag="pre-order",
                  summary="Every reservation of the launch as CSV, in sequence order (customer data)",
                  query=(state,), media_type="text/csv"),
        operation("GET", f"{launch}/personal-messages", told, role=support, tag="pre-order",
                  summary="Ship dates told to the launch's customers at the shipping cadence hour: "
                  "delivered, pending, failed and latency from the slot, and the latest messages",
                  query=(("limit", "at most this many latest messages, 1-1000 (default 100)"),)),
    ]  # fmt: skip
