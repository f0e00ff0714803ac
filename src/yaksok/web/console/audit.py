"""The audit trail in the console: who did what to administer yaksok and to its launches, with
the old value beside the new, filtered by operator, launch, action and dates, and exported as
CSV or JSON. What customers were told is in the public ledger (/ledger), which anyone can verify."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from starlette.responses import Response

from yaksok.domain import codes
from yaksok.domain.administration import AuditEntry, AuditFilter
from yaksok.domain.errors import InvalidInput
from yaksok.services import audit_trail
from yaksok.services.auth import Role
from yaksok.web.console.session import Visit, console_view, download

FILTERS = ("actor", "launch", "action", "since", "until")


def _day(query: Mapping[str, str], name: str, *, after: bool = False) -> datetime | None:
    """A ``YYYY-MM-DD`` field as the start of that day in UTC (of the next day for ``until``, so
    the day given is included)."""
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date, YYYY-MM-DD", code=codes.TIME_INVALID) from None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), UTC)


def _filter(visit: Visit) -> tuple[AuditFilter, dict[str, str]]:
    query = visit.request.query_params
    asked = {name: query.get(name, "").strip() for name in FILTERS}
    chosen = AuditFilter(
        actor=asked["actor"],
        action=asked["action"],
        launch=asked["launch"],
        since=_day(asked, "since"),
        until=_day(asked, "until", after=True),
    )
    return chosen, asked


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@console_view(Role.ADMIN)
def audit_page(visit: Visit) -> Response:
    chosen, asked = _filter(visit)
    every = audit_trail.trail(visit.rt)
    entries = [entry for entry in every if chosen.matches(entry)]
    actors = sorted({entry.actor for entry in every if entry.actor})
    return visit.page(
        "console/audit.html",
        entries=entries,
        asked=asked,
        exported=urlencode({name: value for name, value in asked.items() if value}),
        actions=sorted({entry.action for entry in every}),
        launches=sorted({entry.launch for entry in every if entry.launch}),
        actors=actors,
        names=audit_trail.operator_names(visit.rt, set(actors)),
        shown=_json,
    )


def _rows(visit: Visit) -> tuple[list[AuditEntry], dict[str, str]]:
    chosen, _ = _filter(visit)
    entries = audit_trail.search(visit.rt, chosen)
    return entries, audit_trail.operator_names(visit.rt, {e.actor for e in entries if e.actor})


@console_view(Role.ADMIN)
def audit_csv(visit: Visit) -> Response:
    entries, names = _rows(visit)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("seq", "at", "actor", "operator", "action", "launch", "before", "after"))
    for entry in entries:
        writer.writerow(
            (
                entry.seq,
                entry.at.isoformat(),
                entry.actor or "(command line)",
                names.get(entry.actor or "", ""),
                entry.action,
                entry.launch or "",
                _json(entry.before),
                _json(entry.after),
            )
        )
    return download(out.getvalue(), "audit-trail.csv")


@console_view(Role.ADMIN)
def audit_json(visit: Visit) -> Response:
    entries, names = _rows(visit)
    listed = [
        {
            "seq": entry.seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "operator": names.get(entry.actor or ""),
            "action": entry.action,
            "launch": entry.launch,
            "before": entry.before,
            "after": entry.after,
        }
        for entry in entries
    ]
    body = json.dumps(listed, ensure_ascii=False, indent=1, default=str)
    headers = {"Content-Disposition": 'attachment; filename="audit-trail.json"', "Cache-Control": "no-store"}
    return Response(body, media_type="application/json", headers=headers)
