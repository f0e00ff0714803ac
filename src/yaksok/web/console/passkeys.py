"""Passkeys in the console: registered from the account page once signed in, then a way to sign
in. WebAuthn is a browser API, so these steps need JavaScript (/static/passkeys.js); the password
form works without it. The challenge of each ceremony is kept in the signed session until its
answer comes back, used once, and refused after ``CHALLENGE_LIFE``."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.services import passkeys
from yaksok.services.auth import Role
from yaksok.services.runtime import Runtime
from yaksok.web.console.session import CrossSiteRequest, Visit, checked_form, console_view, refused, words
from yaksok.web.console.throttle import SignInThrottle

CHALLENGE_LIFE = timedelta(minutes=5)


def _party(request: Request) -> passkeys.RelyingParty:
    settings: Settings = request.app.state.settings
    return passkeys.RelyingParty.of(settings.public_url)


def _keep(request: Request, purpose: str, ceremony: passkeys.Ceremony, now: datetime) -> Response:
    request.session["passkey"] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(ceremony.challenge),
        "until": (now + CHALLENGE_LIFE).isoformat(),
    }
    return Response(ceremony.options, media_type="application/json", headers={"Cache-Control": "no-store"})


def _challenge(request: Request, purpose: str, now: datetime) -> bytes:
    """The challenge kept for this ceremony, taken from the session: each is answered once."""
    kept = request.session.pop("passkey", None)
    if (
        not isinstance(kept, dict)
        or kept.get("purpose") != purpose
        or not isinstance(kept.get("challenge"), str)
        or datetime.fromisoformat(str(kept.get("until"))) < now
    ):
        raise InvalidInput("no passkey ceremony is under way; start again", code=codes.PASSKEY_INVALID)
    return base64url_to_bytes(kept["challenge"])


def _json(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json")


@console_view(Role.VIEWER)
def account_page(visit: Visit) -> Response:
    return visit.page(
        "console/account.html",
        passkeys=passkeys.passkeys_of(visit.rt, visit.actor.token_id),
        registered=visit.request.query_params.get("registered") == "1",
    )


@console_view(Role.VIEWER)
def registration_options(visit: Visit) -> Response:
    ceremony = passkeys.registration_options(visit.rt, _party(visit.request), visit.actor.token_id)
    return _keep(visit.request, "register", ceremony, visit.rt.clock.now())


@console_view(Role.VIEWER)
def register(visit: Visit) -> Response:
    challenge = _challenge(visit.request, "register", visit.rt.clock.now())
    made = passkeys.register(
        visit.rt, _party(visit.request), visit.actor.token_id, visit.form.get("credential", ""), challenge
    )
    return _json({"passkey": made.id, "location": "/console/account?registered=1"}, 201)


async def sign_in_options(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    try:
        await checked_form(request)
    except CrossSiteRequest:
        return refused(request)
    return _keep(request, "sign-in", passkeys.sign_in_options(_party(request)), rt.clock.now())


async def sign_in(request: Request) -> Response:
    """Use a passkey: throttled as password sign-ins are, per address and per passkey
    (its id stands for the account: no email is typed)."""
    rt: Runtime = request.app.state.rt
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    try:
        form = await checked_form(request)
    except CrossSiteRequest:
        return refused(request)
    address = request.client.host if request.client else "unknown"
    now = rt.clock.now()
    response = form.get("credential", "")
    account = f"passkey:{passkeys.credential_id(response) or '?'}"
    if not throttle.allows(account, address, now):
        message = "too many failed sign-ins for this account or address; try again in 15 minutes"
        return _json({"code": "rate.limited", "detail": words(request, message)}, 429)
    try:
        challenge = _challenge(request, "sign-in", now)
    except InvalidInput as exc:
        return _json({"code": exc.code, "detail": exc.message}, 400)
    actor = await run_in_threadpool(passkeys.sign_in, rt, _party(request), response, challenge)
    if actor is None:
        throttle.failed(account, address, now)
        return _json(
            {"code": "auth.passkey", "detail": words(request, "this passkey cannot sign in here")}, 401
        )
    throttle.succeeded(account)
    # A fresh session (and CSRF token), as after a password sign-in.
    request.session.clear()
    request.session.update({"operator": actor.token_id, "csrf": secrets.token_urlsafe(32)})
    return _json({"location": "/console/"})
