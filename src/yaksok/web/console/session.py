"""Signing in and out, and what every console page shares: the signed-in operator, the role
check, the CSRF token and rendering.

A session is Starlette's signed cookie (``SessionMiddleware``: itsdangerous-signed, HttpOnly,
SameSite=Strict, expiring) holding the operator's id and the session's CSRF token. The role is
read from the account on every request, so a changed role takes effect at once.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from yaksok.config import Settings
from yaksok.domain.errors import YaksokError
from yaksok.services import auth, operators
from yaksok.services.auth import Actor, Role
from yaksok.services.runtime import Runtime
from yaksok.web.console.throttle import SignInThrottle
from yaksok.web.errors import status_of
from yaksok.web.pages import i18n
from yaksok.web.pages.templating import render_html

SIGN_IN = "/console/sign-in"


class CrossSiteRequest(Exception):
    """A form post without this session's CSRF token, or sent from another site."""


@dataclass(frozen=True)
class Visit:
    """One authorized console request, as a page handler sees it."""

    request: Request
    rt: Runtime
    actor: Actor
    form: Mapping[str, str]

    def page(self, template: str, *, status: int = 200, **context: Any) -> Response:
        return page(self.request, template, status=status, actor=self.actor, **context)

    def may(self, role: str) -> bool:
        return auth.permits(self.actor, Role.named(role))

    @property
    def everywhere(self) -> bool:
        """Whether the operator may act on every launch (acts on all of them need it)."""
        return self.actor.launches is None


Handler = Callable[[Visit], Response]
Endpoint = Callable[[Request], Awaitable[Response]]


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("actor", None)
    response = render_html(
        template,
        i18n.choose_lang(request),
        status=status,
        csrf=csrf_token(request),
        path=request.url.path,
        **context,
    )
    response.headers["Cache-Control"] = "no-store"  # pages show what only operators may see
    response.headers["Vary"] = "Accept-Language, Cookie"
    i18n.remember(request, response)
    return response


def download(csv_text: str, filename: str) -> Response:
    """A CSV export, saved by the browser under ``filename`` and never cached."""
    disposition = f'attachment; filename="{filename}"'
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
    return Response(csv_text, media_type="text/csv; charset=utf-8", headers=headers)


def words(request: Request, message: str) -> str:
    """``message`` in the console's language for this request."""
    return i18n.translate(i18n.choose_lang(request), message)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once it has shown this session's CSRF token and came from this site."""
    site = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if (origin is not None and origin != site) or request.headers.get("sec-fetch-site") == "cross-site":
        raise CrossSiteRequest
    form = await _urlencoded(request)
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(form.get("csrf", ""), expected):
        raise CrossSiteRequest
    return form


async def _urlencoded(request: Request) -> dict[str, str]:
    """The console's forms are URL-encoded (no uploads), which the standard library reads;
    Starlette's own form parser would need python-multipart for nothing more."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise CrossSiteRequest
    body = await request.body()
    settings: Settings = request.app.state.settings
    if len(body) > settings.max_body_bytes:
        raise CrossSiteRequest
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def console_view(role: Role) -> Callable[[Handler], Endpoint]:
    """A console page or action that needs ``role``: signed-out visitors are sent to sign in, a
    lower role gets 403, a post without the CSRF token 403, and a refused action its error page."""

    def wrap(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            rt: Runtime = request.app.state.rt
            try:
                form = await checked_form(request) if request.method == "POST" else {}
            except CrossSiteRequest:
                return refused(request)
            operator_id = request.session.get("operator")
            actor = None
            if isinstance(operator_id, str):
                actor = await run_in_threadpool(operators.operator_actor, rt, operator_id)
            if actor is None:
                return RedirectResponse(SIGN_IN, status_code=303)
            acting = dataclasses.replace(rt, actor=actor.token_id, scope=actor.launches)
            visit = Visit(request, acting, actor, form)
            if not auth.permits(actor, role):
                message = words(request, "this needs the {needed} role; you have {held}").format(
                    needed=role.name.lower(), held=actor.role.name.lower()
                )
                return visit.page("console/error.html", status=403, code="auth.forbidden", message=message)
            try:
                return await run_in_threadpool(handler, visit)
            except YaksokError as exc:
                status = status_of(type(exc))
                return visit.page("console/error.html", status=status, code=exc.code, message=exc.message)

        return endpoint

    return wrap


def refused(request: Request) -> Response:
    message = words(
        request,
        "this form was not sent from this console page (missing or stale CSRF token); reload and retry",
    )
    return page(request, "console/error.html", status=403, code="auth.csrf", message=message)


async def sign_in_page(request: Request) -> Response:
    return page(request, "console/sign_in.html", email="", error="")


async def sign_in(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    try:
        form = await checked_form(request)
    except CrossSiteRequest:
        return refused(request)
    email, password = form.get("email", ""), form.get("password", "")
    address = request.client.host if request.client else "unknown"
    now = rt.clock.now()
    if not throttle.allows(email, address, now):
        error = words(
            request, "too many failed sign-ins for this account or address; try again in 15 minutes"
        )
        return page(request, "console/sign_in.html", status=429, email=email, error=error)
    actor = await run_in_threadpool(operators.sign_in, rt, email, password)
    if actor is None:
        throttle.failed(email, address, now)
        error = words(request, "unknown email or wrong password")
        return page(request, "console/sign_in.html", status=401, email=email, error=error)
    throttle.succeeded(email)
    # A fresh session (and CSRF token) on sign-in: one planted before it is worth nothing after.
    request.session.clear()
    request.session.update({"operator": actor.token_id, "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse("/console/", status_code=303)


async def sign_out(request: Request) -> Response:
    try:
        await checked_form(request)
    except CrossSiteRequest:
        return refused(request)
    request.session.clear()
    return RedirectResponse(SIGN_IN, status_code=303)
