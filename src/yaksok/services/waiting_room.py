"""The waiting room's use cases: configure it, join, confirm, open, ticket, admit, and its status.

Each public act goes in the ledger (docs/waiting-room.md): the settings, the commitment to the
secret (and the beacon round it falls back to, if the room names a beacon), and at the opening the
closed list, the reveal (or the beacon round) and the order's hash. Contacts never do.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from yaksok.channels import email
from yaksok.channels.outbound import Outgoing
from yaksok.domain import codes, shuffle
from yaksok.domain.commands import ConfigureWaitingRoom
from yaksok.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from yaksok.domain.ledger import JSON, LedgerEntry, parse_instant
from yaksok.domain.reservation import normal_contact
from yaksok.domain.subscription import IPNetwork
from yaksok.domain.waiting_room import (
    CLOSED,
    ORDERED,
    REVEALED,
    Entry,
    Room,
    check_settings,
    collapsed,
    opening_at,
    order,
)
from yaksok.services import admission, ledger, scope, waiting_room_beacon
from yaksok.services.launches import claim_launch, get_launch
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def configure(rt: Runtime, command: ConfigureWaitingRoom, *, allow: Sequence[IPNetwork] = ()) -> Room:
    """Set the room's settings; the first time, commit to a fresh secret in the ledger. A beacon
    is committed to with its round (the first after the opening), again whenever either changes.
    A beacon on a private network is read only if ``allow`` holds it."""
    check_settings(command)
    # Before the transaction: it may read the beacon's /info.
    chain = waiting_room_beacon.chain_of(command.beacon, allow)
    scope.require_launch(rt, command.launch_slug)
    now = rt.clock.now()
    with rt.store.write() as tx:
        claim_launch(tx, command.launch_slug)
        room = tx.waiting_rooms.get(command.launch_slug)
        if room is not None and (room.opened_at is not None or room.closed_seq is not None):
            raise Conflict("the pre-queue has closed; its settings stay", code=codes.WAITING_ROOM_CLOSED)
        if command.prequeue_opens <= now and (room is None or command.prequeue_opens != room.prequeue_opens):
            raise InvalidInput(
                "the pre-queue must open after the commitment is recorded, so later than now",
                code=codes.WAITING_ROOM_INVALID,
            )
        before: JSON = None
        if room is not None:
            before = {
                "enabled": room.enabled,
                "prequeue_opens": room.prequeue_opens.isoformat(),
                "admit_per_second": room.admit_per_second,
                "token_minutes": room.token_minutes,
                "beacon": waiting_room_beacon.beacon_json(room.beacon, room.beacon_round),
            }
        number = waiting_room_beacon.round_for(tx, command.launch_slug, chain)
        settings = {
            "enabled": command.enabled,
            "prequeue_opens": command.prequeue_opens,
            "admit_per_second": command.admit_per_second,
            "token_minutes": command.token_minutes,
            "beacon": chain,
            "beacon_round": number,
        }
        if room is None:
            secret = secrets.token_bytes(32)
            room = Room(launch_slug=command.launch_slug, commitment=shuffle.commitment(secret), **settings)  # type: ignore[arg-type]
            tx.waiting_rooms.add(room, secret)
            waiting_room_beacon.record_commitment(tx, rt, room)
        else:
            tx.waiting_rooms.set_settings(command.launch_slug, **settings)  # type: ignore[arg-type]
            if (chain, number) != (room.beacon, room.beacon_round):
                waiting_room_beacon.record_commitment(
                    tx, rt, replace(room, beacon=chain, beacon_round=number)
                )
        ledger.record(
            tx,
            rt,
            "waiting_room.configured",
            {
                "launch": command.launch_slug,
                "enabled": command.enabled,
                "prequeue_opens": command.prequeue_opens.isoformat(),
                "admit_per_second": command.admit_per_second,
                "token_minutes": command.token_minutes,
                "beacon": waiting_room_beacon.beacon_json(chain, number),
            },
            previous=before,
        )
        stored = tx.waiting_rooms.get(command.launch_slug)
        assert stored is not None
        return stored


def settings_of(rt: Runtime, slug: str) -> Room:
    """The launch's room, on or off."""
    scope.require_launch(rt, slug)
    with rt.store.read() as tx:
        get_launch(tx, slug)
        room = tx.waiting_rooms.get(slug)
    if room is None:
        raise NotFound(f"the launch {slug!r} has no waiting room", code=codes.WAITING_ROOM_NOT_FOUND)
    return room


def room_of(rt: Runtime, slug: str) -> Room | None:
    """The launch's room as its page shows it, or None when it has none."""
    with rt.store.read() as tx:
        return tx.waiting_rooms.get(slug)


def _room(tx: Transaction, slug: str) -> Room:
    room = tx.waiting_rooms.get(slug)
    if room is None or not room.enabled:
        raise NotFound(f"the launch {slug!r} has no waiting room", code=codes.WAITING_ROOM_NOT_FOUND)
    return room


@dataclass(frozen=True)
class Joined:
    """A new entry and its token; ``code`` to mail before the opening, ``ticket`` after it."""

    entry: Entry
    token: str
    code: str | None
    ticket: str | None


def join(rt: Runtime, slug: str, contact: str) -> Joined:
    """Before the opening: a pre-queue entry waiting for its code. After: the next number. While
    the pre-queue's order waits for the beacon round: ``waiting_room.opening``, nothing written."""
    contact = normal_contact(contact)
    if not contact or len(contact) > 200:
        raise InvalidInput("a contact is 1-200 characters", code=codes.RESERVATION_INVALID)
    now = rt.clock.now()
    with rt.store.write() as tx:
        claim_launch(tx, slug)
        room = _room(tx, slug)
        _refuse_while_drawing(tx, room, now)
        room = _opened_if_due(tx, rt, room, now)
        key = admission.room_key(tx, rt)
        entry_id = rt.new_id("w")
        if room.opened_at is not None:
            number = tx.waiting_rooms.last_number(slug) + 1
            entry = Entry(
                id=entry_id,
                launch_slug=slug,
                contact=contact,
                code_hash="",
                joined_at=now,
                confirmed_at=now,
                number=number,
            )
            tx.waiting_rooms.add_entry(entry)
            token = admission.entry_token(key, slug, entry_id)
            return Joined(entry, token, None, admission.ticket(key, slug, entry_id, number))
        if now < room.prequeue_opens:
            raise Conflict(
                f"the pre-queue opens at {room.prequeue_opens.isoformat()}",
                code=codes.WAITING_ROOM_NOT_OPEN,
                details={"prequeue_opens": room.prequeue_opens.isoformat()},
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        entry = Entry(
            id=entry_id,
            launch_slug=slug,
            contact=contact,
            code_hash=_code_hash(entry_id, code),
            joined_at=now,
        )
        tx.waiting_rooms.add_entry(entry)
        return Joined(entry, admission.entry_token(key, slug, entry_id), code, None)


def _code_hash(entry_id: str, code: str) -> str:
    return hashlib.sha256(f"{entry_id}\0{code}".encode()).hexdigest()


def code_mail(rt: Runtime, joined: Joined, language: str) -> Outgoing:
    """The email carrying the entry's confirmation code."""
    assert joined.code is not None
    with rt.store.read() as tx:
        launch = get_launch(tx, joined.entry.launch_slug)
    title = launch.titles.get(language) or launch.titles.get("en") or launch.slug
    body = email.queue_code_body(language, title, joined.code)
    return Outgoing(f"queue_{joined.entry.id}", joined.entry.contact, "", body)


def confirm(rt: Runtime, slug: str, token: str, code: str) -> Entry:
    """Confirm the entry's contact with the mailed code; twice is no error."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        _room(tx, slug)
        entry_id = admission.entry_of(admission.room_key(tx, rt), slug, token)
        entry = tx.waiting_rooms.entry(entry_id)
        assert entry is not None  # the token was signed for it
        if entry.confirmed_at is None:
            if not hmac.compare_digest(entry.code_hash, _code_hash(entry_id, code.strip())):
                raise InvalidInput("that is not the code mailed to you", code=codes.WAITING_ROOM_CODE_INVALID)
            tx.waiting_rooms.confirm_entry(entry_id, now)
        found = tx.waiting_rooms.entry(entry_id)
        assert found is not None
        return found


@dataclass(frozen=True)
class Ticket:
    number: int
    ticket: str


def ticket_for(rt: Runtime, slug: str, token: str) -> Ticket:
    """The entry's number and signed ticket, once it has one (``waiting_room.opening`` while the
    order waits for the beacon round)."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        room = _room(tx, slug)
        key = admission.room_key(tx, rt)
        entry_id = admission.entry_of(key, slug, token)
        if room.opened_at is None and (room.closed_seq is not None or _due(tx, room, now)):
            claim_launch(tx, slug)
            room = _room(tx, slug)
            _refuse_while_drawing(tx, room, now)
            _opened_if_due(tx, rt, room, now)
        entry = tx.waiting_rooms.entry(entry_id)
        if entry is None or entry.number is None:
            raise Conflict(
                "this entry has no number yet: confirm its code, and wait for the opening",
                code=codes.WAITING_ROOM_NOT_NUMBERED,
            )
        return Ticket(entry.number, admission.ticket(key, slug, entry_id, entry.number))


@dataclass(frozen=True)
class Admission:
    token: str
    expires_at: datetime


def admit(rt: Runtime, slug: str, ticket: str) -> Admission:
    """An admission token for the ticket's entry, once its number is admitted."""
    with rt.store.read() as tx:
        room = _room(tx, slug)
        key = admission.room_key(tx, rt) if tx.ledger.signing_key() is not None else b""
    return issue(room, key, ticket, rt.clock.now())


def room_key(rt: Runtime) -> bytes:
    """The key that signs the waiting room's tokens (made with the ledger's, if there is none)."""
    with rt.store.write() as tx:
        return admission.room_key(tx, rt)


def issue(room: Room, key: bytes, ticket: str, now: datetime) -> Admission:
    """``admit`` on a room and key already read (a web process keeps both from its last refresh)."""
    entry_id, number = admission.ticket_of(key, room.launch_slug, ticket)
    admitting = room.admitting_up_to(now)
    if number > admitting:
        wait = room.admitted_at(number)
        raise Conflict(
            f"number {number} is not admitted yet (admitting up to {admitting})",
            code=codes.ADMISSION_NOT_YET,
            details={"number": number, "admitting_up_to": admitting, "admitted_after_seconds": wait},
        )
    expires = now + timedelta(minutes=room.token_minutes)
    return Admission(admission.admission(key, room.launch_slug, entry_id, expires), expires)


def _due(tx: Transaction, room: Room, now: datetime) -> bool:
    opens = opening_at(tx.milestones.for_launch(room.launch_slug))
    return opens is not None and now >= opens


def _needs_draw(tx: Transaction, room: Room) -> bool:
    """Whether the room's order will need its beacon round: it names a beacon and the reveal
    will fail (no secret kept, or one that does not hash to the commitment)."""
    if room.beacon is None:
        return False
    secret = tx.waiting_rooms.secret(room.launch_slug)
    return secret is None or shuffle.commitment(secret) != room.commitment


def _drawing(tx: Transaction, room: Room, now: datetime) -> bool:
    """Closed (or due to close) and unordered, waiting for the beacon round: only ``open_due``
    (the background path) may order it."""
    return (
        room.opened_at is None
        and (room.closed_seq is not None or _due(tx, room, now))
        and _needs_draw(tx, room)
    )


def _refuse_while_drawing(tx: Transaction, room: Room, now: datetime) -> None:
    """``503 waiting_room.opening`` with ``Retry-After`` while the order waits for the beacon round:
    a public request never waits for the beacon, and nobody joins the closed pre-queue."""
    if not _drawing(tx, room, now):
        return
    ready = waiting_room_beacon.ready_at(room)
    wait = 1 if ready is None else max(1, math.ceil((ready - now).total_seconds()))
    raise Unavailable(
        f"the pre-queue closed at the opening; its order is being drawn from the beacon round "
        f"{room.beacon_round}: retry in {wait} s",
        code=codes.WAITING_ROOM_OPENING,
        details={"retry_after": wait, "round": room.beacon_round},
    )


def _close(tx: Transaction, rt: Runtime, room: Room, opens: datetime) -> LedgerEntry:
    """Close the pre-queue at ``opens``: the list (entries confirmed before it) and the reveal."""
    slug = room.launch_slug
    kept, dropped = collapsed(tx.waiting_rooms.entries(slug), opens)
    arrival = [entry.id for entry in kept]
    closed_hash = shuffle.list_hash(arrival)
    closed = ledger.record(
        tx, rt, CLOSED, {"launch": slug, "entries": arrival, "list_hash": closed_hash, "collapsed": dropped}
    )
    secret = tx.waiting_rooms.secret(slug)
    if secret is not None:
        seed = shuffle.seed(secret, closed_hash).hex()
        ledger.record(tx, rt, REVEALED, {"launch": slug, "secret": secret.hex(), "seed": seed})
    tx.waiting_rooms.set_closed(slug, closed.seq)
    return closed


def _closed_entry(tx: Transaction, seq: int) -> LedgerEntry:
    return next(tx.ledger.entries(after=seq - 1, limit=1))


def _opened_if_due(
    tx: Transaction, rt: Runtime, room: Room, now: datetime, drawn: waiting_room_beacon.Drawn | None = None
) -> Room:
    """Close the pre-queue, reveal, order and number it, if the opening has come (launch claimed).

    No network here. When the order needs the beacon round, this only closes the pre-queue unless
    ``drawn`` is given: the round ``open_due`` fetched outside any transaction after the close."""
    slug = room.launch_slug
    current = tx.waiting_rooms.get(slug)  # as the claim found it: another writer may have opened it
    assert current is not None
    if current.opened_at is not None:
        return current
    opens = opening_at(tx.milestones.for_launch(slug))
    if current.closed_seq is not None:
        closed = _closed_entry(tx, current.closed_seq)
    elif opens is not None and now >= opens:
        closed = _close(tx, rt, current, opens)
    else:
        return current
    needs_draw = _needs_draw(tx, current)
    if needs_draw and drawn is None:
        return replace(current, closed_seq=closed.seq)
    arrival = [str(entry_id) for entry_id in closed.data["entries"]]  # type: ignore[union-attr]
    ordered = order(arrival, current.commitment, tx.waiting_rooms.secret(slug))
    if needs_draw and drawn is not None:
        ordered = waiting_room_beacon.drawn_order(tx, rt, current, arrival, drawn) or ordered
    ledger.record(
        tx,
        rt,
        ORDERED,
        {"launch": slug, "method": ordered.method, "order_hash": ordered.hash, "size": len(arrival)},
    )
    tx.waiting_rooms.set_numbers(slug, {entry_id: i + 1 for i, entry_id in enumerate(ordered.entry_ids)})
    # Opened when the numbers exist: at the opening, or at the draw (so admissions do not bunch up).
    opened_at = opens if drawn is None and opens is not None else now
    tx.waiting_rooms.set_opened(slug, opened_at, len(arrival), int(closed.data["collapsed"]))  # type: ignore[arg-type]
    opened = tx.waiting_rooms.get(slug)
    assert opened is not None
    return opened


def open_due(rt: Runtime, *, draws: bool = True, allow: Sequence[IPNetwork] = ()) -> list[str]:
    """Open every room whose opening has come; the slugs opened. With ``draws`` False, a room whose
    order needs the beacon round is left to ``open_drawn`` (which waits for the round)."""
    now = rt.clock.now()
    with rt.store.read() as tx:
        waiting = [
            r.launch_slug
            for r in tx.waiting_rooms.all()
            if r.enabled
            and r.opened_at is None
            and (r.closed_seq is not None or _due(tx, r, now))
            and (draws or not _needs_draw(tx, r))
        ]
    return [slug for slug in waiting if open_drawn(rt, slug, allow=allow)]


def open_drawn(
    rt: Runtime, slug: str, stop: threading.Event | None = None, *, allow: Sequence[IPNetwork] = ()
) -> bool:
    """Open one due room (True when this call opened it). When its order needs the beacon round:
    close the pre-queue in one short transaction, fetch and verify the round outside any (waiting
    until its time plus the grace: up to a period plus 5 s), then order it in another short one.
    Setting ``stop`` ends the wait and leaves the room closed, to be drawn at the next start. The
    beacon is read from a private network only if ``allow`` holds it."""
    with rt.store.write() as tx:
        claim_launch(tx, slug)
        room = tx.waiting_rooms.get(slug)
        if room is None or not room.enabled or room.opened_at is not None:
            return False
        room = _opened_if_due(tx, rt, room, rt.clock.now())
        if room.opened_at is not None or room.closed_seq is None:
            return room.opened_at is not None
        closed_at = parse_instant(_closed_entry(tx, room.closed_seq).at)
    drawn = waiting_room_beacon.fetch_drawn(rt, room, closed_at, stop, allow)  # no transaction is open
    if drawn is None:
        return False
    with rt.store.write() as tx:
        claim_launch(tx, slug)
        current = tx.waiting_rooms.get(slug)
        if current is None or current.opened_at is not None:
            return False  # another process ordered it meanwhile
        return _opened_if_due(tx, rt, current, rt.clock.now(), drawn).opened_at is not None


@dataclass(frozen=True)
class RoomStatus:
    """What every visitor of a room may read, the same for all: the status document."""

    room: Room
    opens_at: datetime | None
    state: str
    admitting_up_to: int


def statuses(rt: Runtime) -> list[RoomStatus]:
    """Every enabled room's status now (opening first any that is due and needs no beacon round;
    one waiting for its round is ``opening``: ``open_drawn`` orders it)."""
    open_due(rt, draws=False)
    now = rt.clock.now()
    with rt.store.read() as tx:
        return [_status(tx, room, now) for room in tx.waiting_rooms.all() if room.enabled]


def _status(tx: Transaction, room: Room, now: datetime) -> RoomStatus:
    opens = opening_at(tx.milestones.for_launch(room.launch_slug))
    if room.opened_at:
        state = "admitting"
    elif room.closed_seq is not None or (opens is not None and now >= opens):
        state = "opening"
    else:
        state = "prequeue" if now >= room.prequeue_opens else "not_open"
    return RoomStatus(room, opens, state, room.admitting_up_to(now))


@dataclass(frozen=True)
class Overview:
    """A room as its operators follow it: the visitors' status and the pre-queue's figures."""

    status: RoomStatus
    joined: int  # entries, confirmed or not
    confirmed: int
    last_number: int  # the highest number given (pre-queue and later arrivals)


def overview(rt: Runtime, slug: str) -> Overview | None:
    """The launch's room for the console, or None when it has none (on or off)."""
    scope.require_launch(rt, slug)
    now = rt.clock.now()
    with rt.store.read() as tx:
        get_launch(tx, slug)
        room = tx.waiting_rooms.get(slug)
        if room is None:
            return None
        joined, confirmed = tx.waiting_rooms.entry_counts(slug)
        return Overview(_status(tx, room, now), joined, confirmed, tx.waiting_rooms.last_number(slug))


def check_numbers(rt: Runtime) -> str:
    """The first pre-queue whose numbers in the database are not the ledger's order; or ''."""
    with rt.store.read() as tx:
        closed: dict[str, list[str]] = {}
        for entry in tx.ledger.entries():
            if entry.kind == CLOSED:
                closed[str(entry.data["launch"])] = [str(i) for i in entry.data["entries"]]  # type: ignore[union-attr]
            elif entry.kind == ORDERED:
                slug = str(entry.data["launch"])
                room = tx.waiting_rooms.get(slug)
                if room is None or slug not in closed:
                    continue
                numbered = sorted(
                    (e.number, e.id)
                    for e in tx.waiting_rooms.entries(slug)
                    if e.number and e.number <= len(closed[slug])
                )
                held = [entry_id for _, entry_id in numbered]
                if shuffle.list_hash(held) != entry.data["order_hash"]:
                    return (
                        f"waiting room of launch {slug!r}: the numbers the database gives the pre-queue "
                        f"are not the admitted order in the ledger (entry {entry.seq})"
                    )
    return ""
