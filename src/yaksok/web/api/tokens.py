"""Admin API: bearer tokens. A token is shown once, when it is made; only its hash is kept."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.services import auth
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import TokenOut


def create_token(call: Call[schemas.NewToken]) -> TokenOut:
    token = auth.create_token(call.rt, call.body.role, call.body.label)
    return TokenOut(token=token, role=call.body.role, label=call.body.label)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/tokens",
            create_token,
            role=Role.ADMIN,
            tag="tokens",
            summary="Make a bearer token for a role (shown once)",
            body=schemas.NewToken,
            status=201,
        )
    ]
