"""Reservations: taking them in batches (group commit), looking them up, cancelling them.

``reserve_batch`` decides a whole batch of requests in one transaction, in arrival order: the
writer (``workers.reservation_writer``) calls it once per batch, so one commit makes many
reservations durable. Each launch in the batch is claimed first, so every writer on the store
(several processes on PostgreSQL) takes turns and sequences stay gapless.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NoReturn, TextIO

from yaksok.domain import codes
from yaksok.domain.commands import CancelReservation, Reserve, SetLimit, SetSku
from yaksok.domain.errors import Conflict, InvalidInput, NotFound, YaksokError
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.reservation import (
    Reservation,
    ReservationState,
    check_limit,
    check_open,
    check_request,
    fingerprint,
    hash_secret,
    normal_contact,
    state_for,
)
from yaksok.services import admission, allocation, ledger, scope
from yaksok.services.launches import PROMISE_CHANNELS, claim_launch, get_launch
from yaksok.services.notices import publish_in
from yaksok.services.runtime import Runtime
from yaksok.services.wording import opening_notice
from yaksok.store.port import Transaction


@dataclass(frozen=True)
class Accepted:
    """A reservation and its secret; ``replayed`` when an earlier request with the same key made it."""

    reservation: Reservation
    secret: str
    replayed: bool = False


Outcome = Accepted | YaksokError


class Terms:
    """What a batch is decided on besides the reservations and the launch row: each launch's
    milestones, whether it has a waiting room on, and the key codes and secrets are derived
    from, kept between batches by one writer while the ledger's head stays where it was read.
    Every change to a milestone (a promise moved, a milestone cancelled, the opening recorded)
    and every room made, turned on or off is a ledger entry in the same transaction, so a moved
    head means read them again. On PostgreSQL the launch itself (SKUs, caps, limit) is claimed
    and read in every batch: the claim is what makes writers and the admin API take turns there.
    On a store whose writes take turns anyway (SQLite) it is kept too, as every change to it
    (titles, SKUs, caps, limit, policy) is a ledger entry as well."""

    def __init__(self) -> None:
        self.head = -1
        self.key = b""
        self.launches: dict[str, Launch] = {}  # only where writes take turns
        self.milestones: dict[str, list[Milestone]] = {}
        self.roomless: set[str] = set()  # launches read to have no waiting room on

    def current(self, tx: Transaction, rt: Runtime) -> Terms:
        head = tx.ledger.head_seq()  # read before anything it vouches for
        if head != self.head:
            self.forget()
            self.key = _secret_key(tx, rt)
            self.head = head
        return self

    def forget(self) -> None:
        """Read everything again next time (a batch rolled back: what it read may not stand)."""
        self.head = -1
        self.launches = {}
        self.milestones = {}
        self.roomless = set()

    def of(self, tx: Transaction, rt: Runtime, slug: str) -> tuple[Launch | None, list[Milestone]]:
        launch = self.launches.get(slug)
        if launch is None:
            launch = tx.launches.claim(slug)
            if launch is None:
                return None, []
            if rt.store.writes_take_turns:
                self.launches[slug] = launch
        milestones = self.milestones.get(slug)
        if milestones is None:
            milestones = self.milestones[slug] = tx.milestones.for_launch(slug)
        return launch, milestones


def reserve_batch(
    rt: Runtime, commands: Sequence[Reserve], *, flushed: bool = True, terms: Terms | None = None
) -> list[Outcome]:
    """Decide every request in arrival order and commit them together; one outcome per request.

    ``terms`` kept by the caller between batches spares reading the launch, its milestones and
    the key again while nothing public has changed. With ``flushed=False`` the commit does not
    wait for the disk: the caller must not answer before ``flush_reservations`` (started after
    this returned) has returned."""
    outcomes: dict[int, Outcome] = {}
    now = rt.clock.now()
    known = terms or Terms()
    try:
        with rt.store.write() if flushed else rt.store.write_unflushed() as tx:
            known.current(tx, rt)
            for slug in sorted({command.launch_slug for command in commands}):  # claimed in one order
                places = [i for i, command in enumerate(commands) if command.launch_slug == slug]
                decided = _reserve_in(tx, rt, known, slug, [commands[i] for i in places], now)
                outcomes.update(zip(places, decided, strict=True))
    except BaseException:
        known.forget()
        raise
    return [outcomes[i] for i in range(len(commands))]


def flush_reservations(rt: Runtime) -> None:
    """Every batch committed so far durable (see ``reserve_batch(..., flushed=False)``)."""
    rt.store.flush()


def _reserve_in(
    tx: Transaction, rt: Runtime, terms: Terms, slug: str, commands: list[Reserve], now: datetime
) -> list[Outcome]:
    launch, milestones = terms.of(tx, rt, slug)
    if launch is None:
        return [NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND) for _ in commands]
    key = terms.key
    try:
        opens = check_open(launch, milestones, now)
    except Conflict as closed:
        return [closed for _ in commands]
    known = tx.reservations.by_keys(slug, {c.idempotency_key for c in commands})
    held_by = tx.reservations.units_by_contact(slug, {normal_contact(c.contact) for c in commands})
    # Units held matter only against a cap: without one, the sum over the whole line is skipped.
    held = tx.reservations.units_held(slug) if any(sku.cap is not None for sku in launch.skus) else {}
    sequence = tx.reservations.last_sequence(slug)
    gate = None if slug in terms.roomless else admission.gate(tx, rt, slug, commands, now)
    if gate is None:  # no waiting room on: nothing more to read until the ledger moves
        terms.roomless.add(slug)
    outcomes: list[Outcome] = []
    made: list[Reservation] = []
    for command in commands:
        try:
            earlier = known.get(command.idempotency_key)
            if earlier is not None:
                outcomes.append(_replay(earlier, command, key))
                continue
            admitted = gate.admit(command) if gate is not None else ""
            accepted = _decide(command, launch, held_by, held, sequence + 1, key, now)
        except YaksokError as refused:
            outcomes.append(refused)
            continue
        if gate is not None:
            gate.accepted(admitted)
        sequence += 1
        made.append(accepted.reservation)
        known[command.idempotency_key] = accepted.reservation
        outcomes.append(accepted)
    tx.reservations.add_many(made)
    if gate is not None:
        gate.commit()
    if made and opens.occurrence is None:
        _record_opening(tx, rt, launch, opens, now)
    return outcomes


def _decide(
    command: Reserve,
    launch: Launch,
    held_by: dict[str, int],
    held: dict[str, int],
    sequence: int,
    key: bytes,
    now: datetime,
) -> Accepted:
    check_request(command, launch)
    contact = normal_contact(command.contact)
    check_limit(command, launch, held_by.get(contact, 0))
    state = state_for(launch, command.sku, command.quantity, held.get(command.sku, 0))
    held_by[contact] = held_by.get(contact, 0) + command.quantity
    if state is ReservationState.QUEUED:
        held[command.sku] = held.get(command.sku, 0) + command.quantity
    code = _code(key, launch.slug, sequence)
    secret = _secret(key, code)
    reservation = Reservation(
        launch_slug=launch.slug,
        sequence=sequence,
        code=code,
        secret_hash=hash_secret(secret),
        idempotency_key=command.idempotency_key,
        fingerprint=fingerprint(command),
        sku=command.sku,
        quantity=command.quantity,
        contact=contact,
        pickup_store=command.pickup_store,
        state=state,
        created_at=now,
        language=command.language,
    )
    return Accepted(reservation, secret)


def _replay(earlier: Reservation, command: Reserve, key: bytes) -> Accepted:
    if earlier.fingerprint != fingerprint(command):
        raise_reused(command.idempotency_key)
    return Accepted(earlier, _secret(key, earlier.code), replayed=True)


def raise_reused(idempotency_key: str) -> NoReturn:
    raise InvalidInput(
        f"the Idempotency-Key {idempotency_key!r} was used with another body; use a new key",
        code=codes.IDEMPOTENCY_KEY_REUSED,
    )


def _record_opening(tx: Transaction, rt: Runtime, launch: Launch, opens: Milestone, now: datetime) -> None:
    """The first reservation accepted records the opening, at the promised instant, and announces
    it on every channel a promise goes to (in the same transaction: once, whoever records it)."""
    assert opens.promise is not None and opens.promise.at is not None
    milestone = opens.occur(opens.promise.at, now, "the first reservation was accepted")
    if tx.milestones.record_occurrence(milestone):
        titles, bodies = opening_notice(launch, opens)
        announcement = Notice(
            id=f"opening-{hashlib.sha256(opens.id.encode()).hexdigest()[:32]}",
            kind=NoticeKind.ANNOUNCEMENT,
            titles=titles,
            bodies=bodies,
            launch_slug=launch.slug,
            milestone_ids=(opens.id,),
            channels=PROMISE_CHANNELS,
            created_at=now,
        )
        tx.notices.add(announcement)
        publish_in(tx, rt, announcement)
        ledger.record(
            tx,
            rt,
            "milestone.occurred",
            {
                "milestone": milestone.id,
                "at": opens.promise.at.isoformat(),
                "promised": opens.promise.describe("en"),
                "note": "the first reservation was accepted",
            },
        )


# Lookup codes and secrets are derived from a key kept by the store (made from the ledger's
# signing key), so that a retried request can be answered with the same secret while only the
# secret's hash is stored with the reservation.
def _secret_key(tx: Transaction, rt: Runtime) -> bytes:
    stored = tx.ledger.signing_key()
    if stored is None:
        tx.ledger.lock()
        ledger.ensure_signing_key(tx, rt)
        stored = tx.ledger.signing_key()
        assert stored is not None
    return hashlib.sha256(b"yaksok reservations\0" + stored.private_pem.encode()).digest()


def _code(key: bytes, slug: str, sequence: int) -> str:
    """``r``, the launch's tag (9 hex digits of a MAC of its slug: a launch's codes share it) and
    the sequence in hex (6 digits or more). Codes of one launch thus follow each other in the
    code index: a batch's inserts touch a page or two of it, where codes spread at random
    touched one page per reservation (a third of a batch's commit, in writing the log). The
    code is public and only names the reservation; the secret proves its holder."""
    return "r" + _launch_tag(key, slug) + f"{sequence:06x}"


@functools.lru_cache(maxsize=256)
def _launch_tag(key: bytes, slug: str) -> str:
    return hmac.digest(key, f"code\0{slug}".encode(), "sha256").hex()[:9]


def _secret(key: bytes, code: str) -> str:
    mac = _secrets_mac(key).copy()  # the key's HMAC state, made once: a third of the cost
    mac.update(code.encode())
    return mac.hexdigest()[:32]


@functools.lru_cache(maxsize=4)
def _secrets_mac(key: bytes) -> hmac.HMAC:
    return hmac.new(key, b"secret\0", "sha256")


@dataclass(frozen=True)
class Standing:
    """What the holder of a reservation may read: it, its place in line and the expected ship date."""

    reservation: Reservation
    launch: Launch
    place: int | None  # among the queued (or, waitlisted, among the SKU's waitlist); None if cancelled
    ships: Milestone | None  # the next shipping batch with a promise: only for a launch never allocated
    expected: allocation.Expected | None = None  # None: the launch has had no allocation run


def look_up(rt: Runtime, code: str, secret: str) -> Standing:
    with rt.store.read() as tx:
        reservation = _held(tx, code, secret)
        launch = tx.launches.get(reservation.launch_slug)
        assert launch is not None
        place = _place(tx, reservation)
        if tx.allocations.last_run(launch.slug) is None:  # no stock recorded: the launch-wide guess
            return Standing(reservation, launch, place, _shipping(tx.milestones.for_launch(launch.slug)))
        expected = allocation.expected_of(tx, reservation)
        if reservation.state is ReservationState.CANCELLED:
            expected = replace(expected, date=None, batch=None)
        return Standing(reservation, launch, place, None, expected)


def cancel(rt: Runtime, command: CancelReservation) -> Reservation:
    """Cancel the reservation; the units it held go to the waitlist, first in line first."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        found = _held(tx, command.code, command.secret)
        launch = tx.launches.claim(found.launch_slug)  # taking turns with the batch writer
        assert launch is not None
        if not tx.reservations.set_state(found.code, ReservationState.CANCELLED, now):
            raise Conflict("this reservation is already cancelled", code=codes.RESERVATION_CANCELLED)
        if found.state is ReservationState.QUEUED:
            _promote(tx, launch, found.sku, now)
        cancelled = tx.reservations.get(found.code)
        assert cancelled is not None
        return cancelled


def _promote(tx: Transaction, launch: Launch, sku: str, now: datetime) -> None:
    """Queue the head of the SKU's waitlist, as far as the units freed go: read a page at a time,
    as the whole waitlist of a busy launch took half a second to read (the launch claimed)."""
    held = tx.reservations.units_held(launch.slug).get(sku, 0)
    after = 0
    while page := tx.reservations.for_launch(
        launch.slug, ReservationState.WAITLISTED, sku=sku, after=after, limit=_WAITLIST_PAGE
    ):
        for waiting in page:
            if state_for(launch, sku, waiting.quantity, held) is not ReservationState.QUEUED:
                return  # first come, first served: no one jumps the head of the waitlist
            tx.reservations.set_state(waiting.code, ReservationState.QUEUED, now)
            held += waiting.quantity
        after = page[-1].sequence


_WAITLIST_PAGE = 20  # a cancellation frees a customer's units: rarely more than a few are promoted


def _held(tx: Transaction, code: str, secret: str) -> Reservation:
    found = tx.reservations.get(code)
    if found is None or not hmac.compare_digest(found.secret_hash, hash_secret(secret)):
        raise NotFound("no reservation has that code and secret", code=codes.RESERVATION_NOT_FOUND)
    return found


def _place(tx: Transaction, reservation: Reservation) -> int | None:
    if reservation.state is ReservationState.CANCELLED:
        return None
    waitlisted = reservation.state is ReservationState.WAITLISTED  # a line per SKU
    return 1 + tx.reservations.ahead_of(reservation, same_sku=waitlisted)


def _shipping(milestones: list[Milestone]) -> Milestone | None:
    batches = [m for m in milestones if m.kind is MilestoneKind.SHIPPING_BATCH and m.promise is not None]
    pending = [m for m in batches if m.occurrence is None and not m.cancelled and m.promise and m.promise.at]
    return pending[0] if pending else None


# Configuring the pre-order: SKUs, caps and the per-customer limit. These are the public terms
# of the offer (whether a reservation is queued or waitlisted, and how many units a customer may
# ask for, follow from them), so each change is in the ledger, like a launch's titles. No
# customer data is: the ledger names the SKU and the figures, never a reservation.


def set_sku(rt: Runtime, command: SetSku) -> Launch:
    """Add the SKU, or replace the one of its code. A cap below the units queued reservations
    already hold is refused; a higher cap (or none) admits the waitlist's head at once."""
    now = rt.clock.now()
    sku = command.sku
    scope.require_launch(rt, command.launch_slug)
    with rt.store.write() as tx:
        launch = claim_launch(tx, command.launch_slug)  # taking turns with the batch writer
        held = tx.reservations.units_held(launch.slug).get(sku.code, 0)
        changed = launch.with_sku(sku, held)
        sku = next(s for s in changed.skus if s.code == sku.code)  # its titles as stored
        previous = next((s for s in launch.skus if s.code == sku.code), None)
        if previous == sku:
            return launch
        tx.launches.set_offer(launch.slug, changed.skus, changed.per_customer_limit)
        _promote(tx, changed, sku.code, now)
        ledger.record(
            tx,
            rt,
            "launch.sku_set",
            {
                "launch": launch.slug,
                "sku": sku.code,
                "titles": sku.titles,
                "cap": sku.cap,
                "previous": None if previous is None else {"titles": previous.titles, "cap": previous.cap},
            },
        )
    return changed


def set_limit(rt: Runtime, command: SetLimit) -> Launch:
    """Set the per-customer limit. Reservations already made stay; later ones are counted
    against the new limit (with everything the contact already holds or waits for)."""
    scope.require_launch(rt, command.launch_slug)
    with rt.store.write() as tx:
        launch = claim_launch(tx, command.launch_slug)
        if command.per_customer_limit == launch.per_customer_limit:
            return launch
        changed = launch.with_limit(command.per_customer_limit)
        tx.launches.set_offer(launch.slug, changed.skus, changed.per_customer_limit)
        ledger.record(
            tx,
            rt,
            "launch.limit_set",
            {
                "launch": launch.slug,
                "per_customer_limit": changed.per_customer_limit,
                "previous": launch.per_customer_limit,
            },
        )
    return changed


MAX_PAGE = 1000


def reservations_of(
    rt: Runtime, slug: str, state: ReservationState | None = None, *, after: int = 0, limit: int = 100
) -> list[Reservation]:
    """A page of the launch's reservations in sequence order (customer data: support role)."""
    scope.require_launch(rt, slug)
    with rt.store.read() as tx:
        get_launch(tx, slug)
        return tx.reservations.for_launch(slug, state, after=after, limit=limit)


CSV_COLUMNS = (
    "sequence",
    "code",
    "state",
    "sku",
    "quantity",
    "contact",
    "pickup_store",
    "created_at",
    "cancelled_at",
    "language",
)


def export_csv(rt: Runtime, slug: str, out: TextIO, state: ReservationState | None = None) -> int:
    """Write the launch's reservations to ``out`` as CSV with a header row, a page at a time;
    never the secret's hash. Returns how many were written."""
    scope.require_launch(rt, slug)
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written, after = 0, 0
    while page := reservations_of(rt, slug, state, after=after, limit=MAX_PAGE):
        writer.writerows(csv_row(reservation) for reservation in page)
        written += len(page)
        after = page[-1].sequence
    return written


def csv_row(reservation: Reservation) -> list[str]:
    """One reservation's cells. A cell a spreadsheet would take for a formula (it starts with
    = + - @, a tab or a carriage return) gets a leading apostrophe, so it is shown as text."""
    cells = (
        reservation.sequence,
        reservation.code,
        reservation.state.value,
        reservation.sku,
        reservation.quantity,
        reservation.contact,
        reservation.pickup_store or "",
        reservation.created_at.isoformat(),
        "" if reservation.cancelled_at is None else reservation.cancelled_at.isoformat(),
        reservation.language,
    )
    return [_inert(str(cell)) for cell in cells]


def _inert(cell: str) -> str:
    return "'" + cell if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell
