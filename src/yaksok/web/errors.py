"""Every error leaves as ``application/problem+json`` (RFC 9457) with a stable ``code``.

The errors only HTTP has are declared here with their codes, beside the domain's family
(``yaksok.domain.errors``, codes in ``yaksok.domain.codes``):

    YaksokError
    ├── BadRequest (400)            ``request.malformed_json``, ``request.invalid`` (a parameter),
    │                               ``request.out_of_range``
    ├── Unauthorized (401)          ``auth.required``, ``auth.invalid_token``
    ├── Forbidden (403)             ``auth.forbidden`` (and the domain's OutOfScope: ``scope.*``)
    ├── PayloadTooLarge (413)       ``request.too_large``
    ├── UnsupportedMediaType (415)  ``request.unsupported_media_type``
    └── TooManyRequests (429)       ``rate.limited`` (with ``Retry-After``)

The domain's Unavailable is ``503`` with ``Retry-After`` too (``details.retry_after``).

``STATUS`` is the one mapping from a kind of error to its HTTP status. The one answer that is
not problem+json: a path no route matches, asked for by a reader outside the API, gets the HTML
"not found" page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yaksok.domain.errors import Code, Conflict, InvalidInput, NotFound, OutOfScope, Unavailable, YaksokError
from yaksok.web.pages.templating import not_found

log = logging.getLogger("yaksok.web")


class BadRequest(YaksokError):
    """The request cannot be read: broken JSON, a bad query parameter or header."""


class Unauthorized(YaksokError):
    """No token, or one that is unknown or revoked."""


class Forbidden(YaksokError):
    """The token's role is too low for the action."""


class PayloadTooLarge(YaksokError):
    pass


class UnsupportedMediaType(YaksokError):
    pass


class TooManyRequests(YaksokError):
    """A client address over its limit of public writes; ``details.retry_after`` in seconds."""


@dataclass(frozen=True)
class Answer:
    """A code the web layer answers with itself, for a failure that is no ``YaksokError``."""

    text: str
    status: int
    meaning: str


# A new code is one line here (or in yaksok.domain.codes) and one row in docs/api.md.
REQUEST_MALFORMED_JSON = Code("request.malformed_json", BadRequest, "the body is not well-formed JSON")
REQUEST_INVALID_PARAMETER = Code("request.invalid", BadRequest, "a query parameter or header cannot be read")
REQUEST_OUT_OF_RANGE = Code(
    "request.out_of_range", BadRequest, "a number in the query is larger than it can ever be: see `details`"
)
REQUEST_INVALID = Code("request.invalid", InvalidInput, "a field is wrong, missing or unknown: see `detail`")
REQUEST_TOO_LARGE = Code("request.too_large", PayloadTooLarge, "the body is over `details.max_body_bytes`")
REQUEST_UNSUPPORTED_MEDIA_TYPE = Code(
    "request.unsupported_media_type", UnsupportedMediaType, "the body is not `application/json`"
)
IDEMPOTENCY_KEY_MISSING = Code(
    "idempotency.key_missing", BadRequest, "no `Idempotency-Key` header, or one that cannot be read"
)
RATE_LIMITED = Code(
    "rate.limited", TooManyRequests, "too many public writes from one address: retry after `Retry-After` s"
)
AUTH_REQUIRED = Code("auth.required", Unauthorized, "no bearer token")
AUTH_INVALID_TOKEN = Code("auth.invalid_token", Unauthorized, "the token is unknown or revoked")
AUTH_FORBIDDEN = Code("auth.forbidden", Forbidden, "the token's role is too low for the action")
NOT_FOUND = Code("not_found", NotFound, "nothing is at that path")
METHOD_NOT_ALLOWED = Answer("method_not_allowed", 405, "the path does not take that method")
INTERNAL = Answer("internal", 500, "an unexpected error; it has been logged")

STATUS: dict[type[YaksokError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    OutOfScope: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    InvalidInput: 422,
    TooManyRequests: 429,
    Unavailable: 503,
}

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def status_of(kind: type[YaksokError]) -> int:
    """The status of a kind of error, inherited from the nearest kind mapped (PolicyViolation: 422)."""
    return next((STATUS[cls] for cls in kind.__mro__ if cls in STATUS), 400)


def problem(status: int, code: str, detail: str, **extra: object) -> Response:
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/problem+json")


async def yaksok_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, YaksokError)
    return problem_of(exc)


def problem_of(exc: YaksokError) -> Response:
    """The problem answer to ``exc``: its status, code and details (``Retry-After`` when limited
    or unavailable for a while)."""
    extra = {"details": exc.details} if exc.details else {}
    response = problem(status_of(type(exc)), exc.code, exc.message, **extra)
    if isinstance(exc, TooManyRequests | Unavailable):
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and _reads_html(request):
        return not_found(request)
    # Starlette's other HTTP errors (rare) keep their status in the code: ``http.400``.
    code = {404: NOT_FOUND.text, 405: METHOD_NOT_ALLOWED.text}.get(exc.status_code, f"http.{exc.status_code}")
    return problem(exc.status_code, code, str(exc.detail))


def _reads_html(request: Request) -> bool:
    """A browser, or any reader of a path outside the API that does not ask for JSON: a path no
    route matches (``/launches/a%2Fb``, ``/notices/..``) is a page that does not exist."""
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "json" not in accept


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(INTERNAL.status, INTERNAL.text, "an unexpected error occurred; it has been logged")


class AnswerUnexpectedErrors:
    """Answers an exception no handler knows with a logged ``500 internal`` and ends there.

    Starlette's outermost error middleware re-raises after answering, and uvicorn then drops the
    client's keep-alive connection; this one sits inside it, so the connection survives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:  # too late to answer: let the server close the connection
                raise
            response = await unexpected_error(Request(scope), exc)
            await response(scope, receive, send)


EXCEPTION_HANDLERS = {YaksokError: yaksok_error, HTTPException: http_error, Exception: unexpected_error}
