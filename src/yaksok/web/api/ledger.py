"""The public ledger, for anyone to audit: entries as NDJSON, signed checkpoints, the key.

No token: every entry records an act that was already public.
"""

from __future__ import annotations

import re

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from yaksok.services import ledger, lookups
from yaksok.services.runtime import Runtime
from yaksok.web.api.operation import Doc, DocumentedRoute
from yaksok.web.api.responses import CheckpointOut, LedgerEntryOut
from yaksok.web.api.views import checkpoint_view, ledger_entry_view
from yaksok.web.errors import REQUEST_INVALID_PARAMETER, REQUEST_OUT_OF_RANGE, BadRequest

DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000
# The largest seq the store can hold (an INTEGER column, 32-bit on PostgreSQL): a seq or a
# limit beyond it cannot mean anything, and PostgreSQL would refuse to compare with it.
MAX_COUNT = 2**31 - 1
_WHOLE = re.compile(r"[0-9]+")


def _count(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _WHOLE.fullmatch(raw):
        raise BadRequest(
            f"{name} must be a whole number of at least 0, not {_quoted(raw)}", code=REQUEST_INVALID_PARAMETER
        )
    digits = raw.lstrip("0") or "0"
    # Compare lengths first: int() of thousands of digits is slow, and refused past 4300.
    if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
        raise BadRequest(
            f"{name} is out of range: at most {MAX_COUNT}, not {_quoted(raw)}",
            code=REQUEST_OUT_OF_RANGE,
            details={"parameter": name, "max": MAX_COUNT},
        )
    return int(digits)


def _quoted(raw: str) -> str:
    return repr(raw) if len(raw) <= 40 else f"{raw[:20]!r}… ({len(raw)} characters)"


def entries(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    after = _count(request, "after", 0)
    limit = min(_count(request, "limit", DEFAULT_LIMIT), MAX_LIMIT)
    if limit < 1:
        raise BadRequest("limit must be at least 1", code=REQUEST_INVALID_PARAMETER)
    page = lookups.ledger_page(rt, after=after, limit=limit)
    lines = b"".join(msgspec.json.encode(ledger_entry_view(entry)) + b"\n" for entry in page)
    return Response(lines, media_type="application/x-ndjson")


def checkpoints(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    signed = [checkpoint_view(point) for point in lookups.ledger_checkpoints(rt)]
    return Response(msgspec.json.encode(signed), media_type="application/json")


def public_key(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    return Response(ledger.public_key_pem(rt), media_type="application/x-pem-file")


_PAGING = (
    ("after", "only entries with a greater seq (default 0); page until a page comes back empty"),
    ("limit", f"at most this many entries (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"),
)


def routes() -> list[BaseRoute]:
    return [
        DocumentedRoute("/ledger", entries, method="GET", doc=Doc(
            "Ledger entries in seq order, one JSON object per line", "ledger", None, query=_PAGING,
            media_type="application/x-ndjson", reply=LedgerEntryOut)),
        DocumentedRoute("/ledger/checkpoints", checkpoints, method="GET", doc=Doc(
            "Signed checkpoints of the ledger head (Ed25519)", "ledger", None, reply=list[CheckpointOut])),
        DocumentedRoute("/.well-known/yaksok-ledger-key", public_key, method="GET", doc=Doc(
            "The Ed25519 public key that verifies every checkpoint", "ledger", None,
            media_type="application/x-pem-file")),
    ]  # fmt: skip
