"""Admin API: bearer tokens and the audit trail of their administration. A token is shown
once, when it is made; only its hash is kept, and listings show neither."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.domain.administration import AuditFilter
from yaksok.services import audit_trail, auth, subscribers
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import AuditEntryOut, TokenOut, TokenRecordOut
from yaksok.web.api.views import audit_entry_view, token_record_view

PREFIX = "/api/v1"


def create_token(call: Call[schemas.NewToken]) -> TokenOut:
    body = call.body
    made = auth.create_token(call.rt, body.role, body.label, launches=body.launches, actor=call.actor)
    limited = None if made.launches is None else list(made.launches)
    return TokenOut(id=made.id, token=made.secret, role=body.role, label=made.label, launches=limited)


def list_tokens(call: Call[None]) -> list[TokenRecordOut]:
    return [token_record_view(token) for token in auth.list_tokens(call.rt)]


def revoke_token(call: Call[None]) -> TokenRecordOut:
    return token_record_view(auth.revoke_token(call.rt, call.path["token_id"], actor=call.actor))


def audit_entries(call: Call[None]) -> list[AuditEntryOut]:
    since, until = call.query.get("since"), call.query.get("until")
    chosen = AuditFilter(
        actor=call.query.get("actor", ""),
        action=call.query.get("action", ""),
        launch=call.query.get("launch", ""),
        since=subscribers.instant(since) if since else None,
        until=subscribers.instant(until) if until else None,
    )
    return [audit_entry_view(entry) for entry in audit_trail.search(call.rt, chosen)]


def routes() -> list[BaseRoute]:
    admin = Role.ADMIN
    return [
        operation("POST", f"{PREFIX}/tokens", create_token, role=admin, tag="tokens",
                  summary="Make a bearer token for a role (shown once)", body=schemas.NewToken, status=201),
        operation("GET", f"{PREFIX}/tokens", list_tokens, role=admin, tag="tokens",
                  summary="Every token, revoked ones too, oldest first (never a secret or its hash)"),
        operation("POST", f"{PREFIX}/tokens/{{token_id}}/revoke", revoke_token, role=admin, tag="tokens",
                  summary="Revoke a token: from now on it is refused with 401"),
        operation("GET", f"{PREFIX}/audit", audit_entries, role=admin, tag="tokens",
                  summary="The audit trail of operator acts, old values beside new (not public)",
                  query=(("actor", "only the acts of this token or operator id"),
                         ("action", "only actions starting with this, e.g. `promise.`"),
                         ("launch", "only acts on this launch"),
                         ("since", "only acts at or after this ISO 8601 time (with its zone)"),
                         ("until", "only acts before this ISO 8601 time (with its zone)"))),
    ]  # fmt: skip
