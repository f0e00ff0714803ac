"""``POST /launches/{slug}/reservations``: the launch-minute hot path, in raw ASGI.

It bypasses Starlette's routing and the admin ``operation()`` machinery on purpose: at the opening
minute the framework's own work costs more than the durable write (``../shared/MEASURED.md``).
The body is decoded by msgspec into a Struct; the request joins the next group commit; the
answer goes out only once that batch has committed.

Idempotency follows the IETF Idempotency-Key draft with Stripe's semantics: the header (a
structured-field string, quoted or bare) is required; the same key with the same body answers
the original reservation again with ``Idempotent-Replayed: true``; with another body, 422; while
the first request with that key is still being committed, 409. Each client address may send
``Settings.public_writes_per_second`` (in bursts of ``public_writes_burst``); past that, 429.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

import msgspec
from msgspec import Meta
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yaksok.domain import codes
from yaksok.domain.commands import Reserve
from yaksok.domain.errors import Conflict, InvalidInput, YaksokError
from yaksok.domain.reservation import MAX_CONTACT, MAX_KEY, ReservationState
from yaksok.services import reservations
from yaksok.services.reservations import Accepted, Outcome, Terms
from yaksok.services.runtime import Runtime
from yaksok.web.errors import (
    IDEMPOTENCY_KEY_MISSING,
    REQUEST_INVALID,
    REQUEST_MALFORMED_JSON,
    REQUEST_TOO_LARGE,
    REQUEST_UNSUPPORTED_MEDIA_TYPE,
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem,
    problem_of,
    status_of,
    unexpected_error,
)
from yaksok.web.group_commit import Reply, Writer
from yaksok.web.rate_limit import RateLimit, client_address

MAX_BODY = 4096
_PATH = re.compile(r"^/launches/([a-z0-9-]{1,64})/reservations$")
_BARE_KEY = re.compile(rb"[\x21\x23-\x7e]{1,%d}" % MAX_KEY)  # no quote: not a quoted string
_KEY = re.compile(r'^"((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$|^([\x21-\x7e]+)$')


class ReserveBody(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, Meta(min_length=1, max_length=64)]
    quantity: Annotated[int, Meta(ge=1, le=1000)]
    contact: Annotated[str, Meta(min_length=1, max_length=MAX_CONTACT)]
    pickup_store: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    language: Literal["ko", "en", "ja"] = "en"


class ReservationOut(msgspec.Struct):
    code: str
    secret: str
    launch: str
    sequence: int
    state: ReservationState
    sku: str
    quantity: int
    pickup_store: str | None
    waitlisted: bool
    lookup: str


_decode = msgspec.json.Decoder(ReserveBody).decode
_encode = msgspec.json.Encoder().encode
_JSON = [(b"content-type", b"application/json")]


class ReservationRoute:
    """Middleware taking the reservation POST before the app's routing; everything else passes."""

    def __init__(self, app: ASGIApp, group: Writer, limit: RateLimit) -> None:
        self.app = app
        self.group = group
        self.limit = limit
        self.in_flight: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not (match := _PATH.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        # One coroutine and plain calls: each layer of awaiting costs, at the opening minute.
        try:
            message = await receive()  # the whole body, nearly always
            raw = message.get("body", b"")
            if message.get("more_body", False) or len(raw) > MAX_BODY:
                raw = await _rest_of_body(raw, message, receive)
            command = self._command(match.group(1), scope, raw)
            try:
                status, headers, body = await self.group.submit(command)
            finally:
                self.in_flight.discard((command.launch_slug, command.idempotency_key))
        except YaksokError as exc:
            await problem_of(exc)(scope, receive, send)
            return
        except Exception as exc:  # this route sits outside Starlette's error layers: answer here
            await (await unexpected_error(Request(scope), exc))(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _command(self, slug: str, scope: Scope, raw: bytes) -> Reserve:
        """The request checked and read, its key now in flight (the caller lets it go)."""
        key, media_type, admission = _headers(scope)
        self.limit.take(client_address(scope.get("client")))
        if media_type is not None and b"json" not in media_type:
            raise UnsupportedMediaType(
                "send the reservation as application/json", code=REQUEST_UNSUPPORTED_MEDIA_TYPE
            )
        if key is None:
            raise BadRequest(
                "an Idempotency-Key header (1-255 visible characters, e.g. a UUID) is required",
                code=IDEMPOTENCY_KEY_MISSING,
            )
        body = _parse(raw)
        if (slug, key) in self.in_flight:
            raise Conflict(
                "a request with this Idempotency-Key is still being processed; retry in a moment",
                code=codes.IDEMPOTENCY_IN_FLIGHT,
            )
        self.in_flight.add((slug, key))
        return Reserve(
            launch_slug=slug,
            idempotency_key=key,
            sku=body.sku,
            quantity=body.quantity,
            contact=body.contact,
            pickup_store=body.pickup_store,
            admission=admission,
            language=body.language,
        )


def decided(
    rt: Runtime, commands: Sequence[Reserve], *, flushed: bool = True, terms: Terms | None = None
) -> list[Reply]:
    """One batch decided and committed (``reserve_batch``), each request's reply rendered.
    With ``flushed=False`` the replies may go out only after ``reservations.flush_reservations``."""
    outcomes = reservations.reserve_batch(rt, commands, flushed=flushed, terms=terms)
    return [reply_to(outcome) for outcome in outcomes]


def reply_to(outcome: Outcome) -> Reply:
    """The HTTP answer to one decided request: ``201`` with the reservation, or its problem."""
    if isinstance(outcome, Accepted):
        return _created(outcome)
    extra = {"details": outcome.details} if outcome.details else {}
    answer = problem(status_of(type(outcome)), outcome.code, outcome.message, **extra)
    return answer.status_code, answer.raw_headers, bytes(answer.body)


def _created(accepted: Accepted) -> Reply:
    made = accepted.reservation
    lookup = f"/reservations/{made.code}?secret={accepted.secret}"
    out = ReservationOut(
        code=made.code,
        secret=accepted.secret,
        launch=made.launch_slug,
        sequence=made.sequence,
        state=made.state,
        sku=made.sku,
        quantity=made.quantity,
        pickup_store=made.pickup_store,
        waitlisted=made.state is ReservationState.WAITLISTED,
        lookup=lookup,
    )
    body = _encode(out)
    headers = [
        *_JSON,
        (b"content-length", b"%d" % len(body)),
        (b"location", b"/reservations/" + made.code.encode()),
    ]
    if accepted.replayed:
        headers.append((b"idempotent-replayed", b"true"))
    return 201, headers, body


def _headers(scope: Scope) -> tuple[str | None, bytes | None, str | None]:
    key: str | None = None
    media_type: bytes | None = None
    admission: str | None = None  # a waiting room's token: checked by the writer, in the batch
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            key = _idempotency_key(value)
        elif name == b"content-type":
            media_type = value
        elif name == b"admission-token":
            admission = value.decode("latin-1").strip()[:200]
    return key, media_type, admission


def _idempotency_key(value: bytes) -> str | None:
    """The key as a structured-field string (``"abc"``), or bare as most clients send it."""
    if _BARE_KEY.fullmatch(value):  # the usual case, read without the general pattern
        return value.decode("ascii")
    found = _KEY.match(value.decode("latin-1").strip())
    if found is None:
        return None
    quoted, bare = found.groups()
    key = bare if bare is not None else re.sub(r"\\(.)", r"\1", quoted)
    return key if 0 < len(key) <= MAX_KEY else None


async def _rest_of_body(first: bytes, message: Message, receive: Receive) -> bytes:
    """The body of a request that did not come in one message, refused once it is too large."""
    chunks = [first]
    size = len(first)
    while True:
        if size > MAX_BODY:
            raise PayloadTooLarge(
                f"a reservation body is at most {MAX_BODY} bytes",
                code=REQUEST_TOO_LARGE,
                details={"max_body_bytes": MAX_BODY},
            )
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)


def _parse(raw: bytes) -> ReserveBody:
    try:
        return _decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc), code=REQUEST_INVALID) from exc
    except msgspec.DecodeError as exc:
        raise BadRequest(f"the body is not well-formed JSON: {exc}", code=REQUEST_MALFORMED_JSON) from exc
