"""The waiting room's public doors (docs/waiting-room.md).

``QueueStatusRoute`` answers ``GET /launches/{slug}/queue/status`` ahead of the app's routing,
from bytes kept in memory: a timer rebuilds every room's document once a second (one read of the
rooms, not one per poll), and opens a room whose opening has come; a room whose order waits for
its beacon round is drawn in a thread of its own, so neither the timer nor a poll waits for the
beacon. The other doors are plain
routes: join, confirm, ticket, admission, and the page, which computes the visitor's position
from its ticket's number and the status document.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, NamedTuple, NoReturn
from urllib.parse import urlencode

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from yaksok.channels.transports import REGISTRY
from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.delivery import Delivered
from yaksok.domain.errors import NotFound, YaksokError
from yaksok.domain.subscription import IPNetwork
from yaksok.domain.waiting_room import Room
from yaksok.services import admission, delivery, waiting_room
from yaksok.services.runtime import Runtime
from yaksok.services.waiting_room import RoomStatus
from yaksok.web.api.body import read_body
from yaksok.web.api.operation import Doc, DocumentedRoute
from yaksok.web.errors import problem
from yaksok.web.pages.i18n import choose_lang
from yaksok.web.pages.templating import render
from yaksok.web.rate_limit import client_address

log = logging.getLogger(__name__)
REFRESH_EVERY = 1.0  # seconds
_STATUS_PATH = re.compile(r"^/launches/([a-z0-9-]{1,64})/queue/status$")
_NO_STORE = {"cache-control": "no-store"}


class StatusOut(msgspec.Struct):
    launch: str
    enabled: bool
    state: str  # not_open, prequeue, opening (the order is being drawn) or admitting
    prequeue_opens: str
    opens_at: str | None
    opened_at: str | None
    admitting_up_to: int
    admit_per_second: float
    prequeue_size: int
    collapsed: int
    updated_at: str


def status_document(status: RoomStatus, now: str) -> bytes:
    room = status.room
    return msgspec.json.encode(
        StatusOut(
            launch=room.launch_slug,
            enabled=room.enabled,
            state=status.state,
            prequeue_opens=room.prequeue_opens.isoformat(),
            opens_at=None if status.opens_at is None else status.opens_at.isoformat(),
            opened_at=None if room.opened_at is None else room.opened_at.isoformat(),
            admitting_up_to=status.admitting_up_to,
            admit_per_second=room.admit_per_second,
            prequeue_size=room.prequeue_size,
            collapsed=room.collapsed,
            updated_at=now,
        )
    )


class QueueStatus:
    """Every room's status document, rebuilt by a timer (or, without one, at most once a second
    by the first poll that finds it stale)."""

    def __init__(self, rt: Runtime, *, beacon_allow: Sequence[IPNetwork] = ()) -> None:
        self.rt = rt
        self.beacon_allow = beacon_allow  # the private networks a beacon may be read from
        self.answers: dict[str, Answer] = {}
        self.rooms: dict[str, Room] = {}  # as of the last refresh: admissions are issued from them
        self.key = b""
        self.refreshed = float("-inf")
        self.refresh_every = REFRESH_EVERY
        self._refreshing: asyncio.Future[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        self.opening: set[str] = set()  # rooms waiting for their order, as of the last refresh
        self._draws: dict[str, asyncio.Task[bool]] = {}  # a thread per room waiting for its beacon round
        self._stopping = threading.Event()  # ends the draws' waits: a stop never waits for a beacon

    async def start(self) -> None:
        self._timer = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stopping.set()
        if self._timer is not None:
            self._timer.cancel()

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
                self._draw()
            except Exception:
                log.exception("the waiting room status could not be refreshed; retrying")
            await asyncio.sleep(self.refresh_every)

    def _draw(self) -> None:
        """Order each room waiting for its beacon round in a thread of its own (the wait may last
        a beacon period): the timer goes on refreshing meanwhile. Only the timer starts draws."""
        for slug in self.opening - self._draws.keys():
            drawing = asyncio.to_thread(
                waiting_room.open_drawn, self.rt, slug, self._stopping, allow=self.beacon_allow
            )
            task = asyncio.create_task(drawing)
            self._draws[slug] = task
            task.add_done_callback(functools.partial(self._drawn, slug))

    def _drawn(self, slug: str, task: asyncio.Task[bool]) -> None:
        self._draws.pop(slug, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("the waiting room of %s could not be opened; retrying", slug, exc_info=task.exception())

    async def refresh(self) -> None:
        if self._refreshing is not None:  # one refresh at a time; others wait for it
            await asyncio.shield(self._refreshing)
            return
        self._refreshing = asyncio.get_running_loop().create_future()
        try:
            self.answers, self.rooms, self.key, self.opening = await run_in_threadpool(self._build)
            self.refreshed = time.monotonic()
        finally:
            self._refreshing.set_result(None)
            self._refreshing = None

    def _build(self) -> tuple[dict[str, Answer], dict[str, Room], bytes, set[str]]:
        now = self.rt.clock.now().isoformat()
        found = waiting_room.statuses(self.rt)
        answers = {status.room.launch_slug: Answer.of(status_document(status, now)) for status in found}
        key = self.key or (waiting_room.room_key(self.rt) if found else b"")
        opening = {status.room.launch_slug for status in found if status.state == "opening"}
        return answers, {status.room.launch_slug: status.room for status in found}, key, opening

    async def fresh(self) -> dict[str, Answer]:
        if time.monotonic() - self.refreshed >= 2 * self.refresh_every:
            await self.refresh()
        return self.answers


_MISSING = problem(404, codes.WAITING_ROOM_NOT_FOUND.text, "this launch has no waiting room")


class QueueStatusRoute:
    """Middleware answering the status document from memory; everything else passes."""

    def __init__(self, app: ASGIApp, status: QueueStatus) -> None:
        self.app = app
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        match = _STATUS_PATH.match(scope["path"]) if method == "GET" or method == "HEAD" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        status = self.status
        if time.monotonic() - status.refreshed >= 2 * status.refresh_every:
            await status.refresh()
        found = status.answers.get(match.group(1))
        if found is None:
            await _MISSING(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"if-none-match" and found.etag in value:
                await send({"type": "http.response.start", "status": 304, "headers": found.not_modified})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": 200, "headers": found.headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else found.body})


class Answer(NamedTuple):
    """A status document as sent: its body and its headers, made once per refresh."""

    body: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]

    @classmethod
    def of(cls, body: bytes) -> Answer:
        etag = b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"'
        common = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"public, max-age=1, stale-while-revalidate=2"),
            (b"etag", etag),
        ]
        return cls(body, etag, [*common, (b"content-length", b"%d" % len(body))], common)


class JoinBody(msgspec.Struct, forbid_unknown_fields=True):
    contact: Annotated[str, Meta(min_length=1, max_length=200)]
    language: Annotated[str, Meta(pattern="^(ko|en)$")] = "en"


class ConfirmBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=300)]
    code: Annotated[str, Meta(min_length=1, max_length=12)]


class AdmissionBody(msgspec.Struct, forbid_unknown_fields=True):
    ticket: Annotated[str, Meta(min_length=1, max_length=300)]


class JoinedOut(msgspec.Struct):
    entry: str
    token: str
    confirmed: bool
    number: int | None
    ticket: str | None
    page: str


class ConfirmedOut(msgspec.Struct):
    entry: str
    confirmed: bool


class TicketOut(msgspec.Struct):
    number: int
    ticket: str
    page: str


class AdmissionOut(msgspec.Struct):
    admission: str
    expires_at: str


_JOIN = msgspec.json.Decoder(JoinBody)
_CONFIRM = msgspec.json.Decoder(ConfirmBody)
_ADMISSION = msgspec.json.Decoder(AdmissionBody)


def _json(out: msgspec.Struct, status: int = 200) -> Response:
    return Response(
        msgspec.json.encode(out), status_code=status, media_type="application/json", headers=_NO_STORE
    )


def _page_url(slug: str, **params: str) -> str:
    return f"/launches/{slug}/queue?{urlencode(params)}"


async def queue_join(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    request.app.state.public_writes.take(client_address(request.client))
    slug = request.path_params["slug"]
    body = await read_body(request, _JOIN, settings.max_body_bytes)
    joined = await run_in_threadpool(waiting_room.join, rt, slug, body.contact)
    if joined.code is not None:
        await _send_code(rt, settings, joined, body.language)
    page = _page_url(slug, ticket=joined.ticket) if joined.ticket else _page_url(slug, token=joined.token)
    out = JoinedOut(
        joined.entry.id, joined.token, joined.ticket is not None, joined.entry.number, joined.ticket, page
    )
    return _json(out, 201)


async def _send_code(rt: Runtime, settings: Settings, joined: waiting_room.Joined, language: str) -> None:
    message = await run_in_threadpool(waiting_room.code_mail, rt, joined, language)
    transport = REGISTRY["email"].transport(delivery.transport_options(settings, rt))
    try:
        outcome = await transport.deliver(message)
    finally:
        await transport.aclose()
    if not isinstance(outcome, Delivered):
        log.warning("the waiting room code for entry %s was not sent: %s", joined.entry.id, outcome.why)


async def queue_confirm(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    request.app.state.public_writes.take(client_address(request.client))
    body = await read_body(request, _CONFIRM, settings.max_body_bytes)
    entry = await run_in_threadpool(
        waiting_room.confirm, rt, request.path_params["slug"], body.token, body.code
    )
    return _json(ConfirmedOut(entry.id, entry.confirmed_at is not None))


async def queue_ticket(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    slug = request.path_params["slug"]
    found = await run_in_threadpool(waiting_room.ticket_for, rt, slug, request.query_params.get("token", ""))
    return _json(TicketOut(found.number, found.ticket, _page_url(slug, ticket=found.ticket)))


async def queue_admission(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    body = await read_body(request, _ADMISSION, settings.max_body_bytes)
    # From the room and key of the last refresh (at most a second old): no database read.
    status: QueueStatus = request.app.state.queue_status
    await status.fresh()
    room = status.rooms.get(request.path_params["slug"])
    if room is None:
        raise_missing(request.path_params["slug"])
    given = waiting_room.issue(room, status.key, body.ticket, rt.clock.now())
    return _json(AdmissionOut(given.token, given.expires_at.isoformat()))


@dataclass(frozen=True)
class QueueView:
    number: int
    ahead: int
    wait: int  # seconds, at the room's admission rate
    ticket: str
    status_url: str
    admission_url: str


async def queue_page(request: Request) -> Response:
    """The visitor's page: its number, how many are ahead and the wait, kept live by polling the
    status document; the ticket's number is read from the ticket, not the database."""
    rt: Runtime = request.app.state.rt
    status: QueueStatus = request.app.state.queue_status
    slug = request.path_params["slug"]
    lang = choose_lang(request)
    given_ticket = request.query_params.get("ticket")
    found = (await status.fresh()).get(slug)
    if found is None:
        raise_missing(slug)
    doc = msgspec.json.decode(found.body)
    if given_ticket is None:
        token = request.query_params.get("token", "")
        try:
            number = (await run_in_threadpool(waiting_room.ticket_for, rt, slug, token)).ticket
        except YaksokError:
            return _no_store(render(request, "queue.html", lang, queue=None))
        return Response(status_code=303, headers={"location": _page_url(slug, ticket=number, lang=lang)})
    key = await run_in_threadpool(_key, rt)
    _, number_ = admission.ticket_of(key, slug, given_ticket)
    ahead = max(0, number_ - int(doc["admitting_up_to"]))
    view = QueueView(
        number=number_,
        ahead=ahead,
        wait=int(-(-ahead // float(doc["admit_per_second"]))),
        ticket=given_ticket,
        status_url=f"/launches/{slug}/queue/status",
        admission_url=f"/launches/{slug}/queue/admission",
    )
    page = render(request, "queue.html", lang, queue=view, path=_page_url(slug, ticket=given_ticket))
    return _no_store(page)


def _no_store(response: Response) -> Response:
    response.headers.update(_NO_STORE)  # a visitor's own number: never kept by a cache
    return response


def _key(rt: Runtime) -> bytes:
    with rt.store.write() as tx:
        return admission.room_key(tx, rt)


def raise_missing(slug: str) -> NoReturn:
    raise NotFound(f"the launch {slug!r} has no waiting room", code=codes.WAITING_ROOM_NOT_FOUND)


def routes() -> list[BaseRoute]:
    base = "/launches/{slug}/queue"
    return [
        DocumentedRoute(base, queue_page, method="GET", doc=Doc(
            "The visitor's waiting room page (ko/en): number, position and wait, live", "waiting room", None,
            query=(("ticket", "the ticket (after the opening)"), ("token", "the entry token (before)")),
            media_type="text/html")),
        DocumentedRoute(f"{base}/join", queue_join, method="POST", doc=Doc(
            "Join the waiting room: before the opening a code is mailed to the contact; after it, "
            "the next number", "waiting room", None, body=JoinBody, status=201, reply=JoinedOut)),
        DocumentedRoute(f"{base}/confirm", queue_confirm, method="POST", doc=Doc(
            "Confirm a pre-queue entry with the mailed code", "waiting room", None, body=ConfirmBody,
            reply=ConfirmedOut)),
        DocumentedRoute(f"{base}/ticket", queue_ticket, method="GET", doc=Doc(
            "The entry's number and signed ticket, once ordered", "waiting room", None,
            query=(("token", "the entry token"),), reply=TicketOut)),
        DocumentedRoute(f"{base}/admission", queue_admission, method="POST", doc=Doc(
            "A signed, single-use admission token for an admitted ticket", "waiting room", None,
            body=AdmissionBody, reply=AdmissionOut)),
    ]  # fmt: skip
