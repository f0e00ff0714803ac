"""Reservations: a customer's place in a launch's pre-order, first come, first served.

A reservation is accepted only while the pre-order is open: ``preorder_opens``' current promise
is an exact time that has arrived, and ``preorder_closes`` has not (``check_open``). Each one
accepted takes the launch's next ``sequence`` (its place in line, gapless); units past a SKU's
cap go onto the waitlist. The lookup ``code`` is public, the ``secret`` proves the holder: only
its hash is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from yaksok.domain import codes
from yaksok.domain.commands import Reserve
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.promise import Precision, zone_info

MAX_CONTACT = 200
MAX_KEY = 255


class ReservationState(StrEnum):
    QUEUED = "queued"  # holds its units, in line to be shipped
    WAITLISTED = "waitlisted"  # past the SKU's cap: in line for units someone frees
    CANCELLED = "cancelled"


class Reservation(NamedTuple):
    """Immutable, as every domain value; a named tuple because the reservation writer makes one a
    request at the opening minute, where a frozen dataclass cost three times as much to make."""

    launch_slug: str
    sequence: int
    code: str
    secret_hash: str
    idempotency_key: str
    fingerprint: str
    sku: str
    quantity: int
    contact: str
    pickup_store: str | None
    state: ReservationState
    created_at: datetime
    cancelled_at: datetime | None = None
    language: str = "en"  # what the customer is told in: ship dates, answers

    @property
    def holds_units(self) -> bool:
        return self.state is ReservationState.QUEUED


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_contact(contact: str) -> str:
    """One contact, however it was typed: spaces around it dropped, letters lower-cased."""
    return contact.strip().lower()


def fingerprint(command: Reserve) -> str:
    """What makes two requests with one ``Idempotency-Key`` the same request."""
    parts = (
        command.launch_slug,
        command.sku,
        str(command.quantity),
        command.contact,
        command.pickup_store or "",
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def check_request(command: Reserve, launch: Launch) -> None:
    """Refuse a request that could never be accepted, whatever else is reserved."""
    if command.quantity < 1 or not command.contact.strip() or len(command.contact) > MAX_CONTACT:
        raise InvalidInput(
            f"a reservation needs a quantity of at least 1 and a contact of 1-{MAX_CONTACT} characters",
            code=codes.RESERVATION_INVALID,
        )
    if command.sku not in launch.caps:
        known = sorted(sku.code for sku in launch.skus)
        raise InvalidInput(
            f"launch {launch.slug!r} has no SKU {command.sku!r}; it has: {', '.join(known) or 'none'}",
            code=codes.RESERVATION_UNKNOWN_SKU,
            details={"skus": known},
        )


def check_limit(command: Reserve, launch: Launch, already_held: int) -> None:
    """The per-customer limit counts every unit the contact holds or waits for in this launch."""
    if already_held + command.quantity > launch.per_customer_limit:
        raise InvalidInput(
            f"at most {launch.per_customer_limit} units per customer; this contact already has "
            f"{already_held} and asked for {command.quantity}",
            code=codes.RESERVATION_OVER_LIMIT,
            details={"limit": launch.per_customer_limit, "held": already_held, "asked": command.quantity},
        )


def state_for(launch: Launch, sku_code: str, quantity: int, units_held: int) -> ReservationState:
    """Queued while the SKU's cap (if any) has room for every unit asked, else waitlisted."""
    cap = launch.caps[sku_code]
    if cap is not None and units_held + quantity > cap:
        return ReservationState.WAITLISTED
    return ReservationState.QUEUED


def check_open(launch: Launch, milestones: list[Milestone], now: datetime) -> Milestone:
    """The ``preorder_opens`` milestone, if the pre-order is open at ``now``; else a refusal
    stating when it opens (launch zone and UTC) and where to read more."""
    opens = next((m for m in milestones if m.kind is MilestoneKind.PREORDER_OPENS), None)
    closes = next((m for m in milestones if m.kind is MilestoneKind.PREORDER_CLOSES), None)
    page = f"/launches/{launch.slug}"
    promise = None if opens is None or opens.cancelled else opens.promise
    if promise is None or promise.precision is not Precision.EXACT or promise.at is None:
        said = "not announced" if promise is None else promise.describe("en")
        raise Conflict(
            f"the pre-order opens only at an exact announced time; its opening is {said}",
            code=codes.PREORDER_NOT_OPEN,
            details={"opens_at": None, "launch_page": page},
        )
    if now < promise.at:
        opening = _opening(launch, promise.at, page)
        raise Conflict(
            f"the pre-order opens at {opening['opens_at_local']} ({launch.zone}), {opening['opens_at']} UTC",
            code=codes.PREORDER_NOT_OPEN,
            details=opening,
        )
    close = None if closes is None or closes.cancelled else closes.promise
    closed_at = closes.occurrence.at if closes is not None and closes.occurrence else None
    if (
        closed_at is None
        and close is not None
        and close.at is not None
        and close.precision is Precision.EXACT
    ):
        closed_at = close.at
    if closed_at is not None and now >= closed_at:
        closed = closed_at.astimezone(UTC).isoformat()
        raise Conflict(
            f"the pre-order closed at {closed} UTC",
            code=codes.PREORDER_CLOSED,
            details={**_opening(launch, promise.at, page), "closed_at": closed},
        )
    assert opens is not None
    return opens


def _opening(launch: Launch, at: datetime, page: str) -> dict[str, str]:
    """When the pre-order opens, as a refusal states it (made only for one: every batch checks)."""
    return {
        "opens_at": at.astimezone(UTC).isoformat(),
        "opens_at_local": at.astimezone(zone_info(launch.zone)).isoformat(),
        "zone": launch.zone,
        "launch_page": page,
    }


class PreorderState(StrEnum):
    NOT_ANNOUNCED = "not_announced"  # no exact opening time yet: it cannot open
    ANNOUNCED = "announced"  # opens at an exact time still ahead
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class PreorderStatus:
    """Where the launch's pre-order stands at a moment, as the launch page shows it."""

    state: PreorderState
    opens_at: datetime | None = None  # the exact opening, once announced
    closed_at: datetime | None = None


def preorder_status(launch: Launch, milestones: list[Milestone], now: datetime) -> PreorderStatus | None:
    """The pre-order's state at ``now`` by the same rule that takes reservations (``check_open``);
    None for a launch without a ``preorder_opens`` milestone."""
    opens = next((m for m in milestones if m.kind is MilestoneKind.PREORDER_OPENS), None)
    if opens is None:
        return None
    promise = None if opens.cancelled else opens.promise
    exact = promise.at if promise is not None and promise.precision is Precision.EXACT else None
    try:
        check_open(launch, milestones, now)
    except Conflict as refusal:
        if refusal.code == codes.PREORDER_CLOSED.text:
            closed = datetime.fromisoformat(str(refusal.details["closed_at"]))
            return PreorderStatus(PreorderState.CLOSED, exact, closed)
        state = PreorderState.NOT_ANNOUNCED if exact is None else PreorderState.ANNOUNCED
        return PreorderStatus(state, exact)
    return PreorderStatus(PreorderState.OPEN, exact)
