"""The audit trail in the console: who did what to administer yaksok, filtered and exported.
What customers were told is in the public ledger (/ledger), which anyone can verify."""

from __future__ import annotations

import csv
import io
import json

from starlette.responses import Response

from yaksok.domain.administration import AuditEntry
from yaksok.services import audit_trail
from yaksok.services.auth import Role
from yaksok.web.console.session import Visit, console_view, download


def _chosen(visit: Visit) -> tuple[list[AuditEntry], str, str]:
    action = visit.request.query_params.get("action", "").strip()
    actor = visit.request.query_params.get("actor", "").strip()
    entries = [
        entry
        for entry in audit_trail.trail(visit.rt)
        if (not action or entry.action.startswith(action)) and (not actor or (entry.actor or "") == actor)
    ]
    return entries, action, actor


@console_view(Role.ADMIN)
def audit_page(visit: Visit) -> Response:
    entries, action, actor = _chosen(visit)
    actions = sorted({entry.action for entry in audit_trail.trail(visit.rt)})
    return visit.page(
        "console/audit.html", entries=entries, action=action, actor_filter=actor, actions=actions
    )


@console_view(Role.ADMIN)
def audit_csv(visit: Visit) -> Response:
    entries, _, _ = _chosen(visit)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("seq", "at", "actor", "action", "details"))
    for entry in entries:
        details = json.dumps(entry.details, ensure_ascii=False, sort_keys=True, default=str)
        writer.writerow(
            (entry.seq, entry.at.isoformat(), entry.actor or "(command line)", entry.action, details)
        )
    return download(out.getvalue(), "audit-trail.csv")
