"""Rendering pages: one Jinja environment (autoescape on), the shared page context and headers,
and the HTML "not found" page browsers get instead of problem+json."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from yaksok.channels import when
from yaksok.domain.errors import NotFound
from yaksok.services.runtime import Runtime
from yaksok.web.pages import i18n

WEB_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = WEB_DIR / "static"


@functools.cache
def _environment(lang: str) -> jinja2.Environment:
    """The templates in ``lang``: one environment per language, its catalog installed for
    ``{% trans %}`` and ``_()`` (newstyle gettext: placeholders are escaped like any value)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,  # every template, whatever its name: user text is never trusted
        undefined=jinja2.StrictUndefined,  # a misspelt label fails loudly instead of rendering blank
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # ``{{ promise | when }}``: a promise in the page's language, as channels.when words it.
    env.filters["when"] = functools.partial(when.describe, lang=lang)
    env.filters["instant"] = functools.partial(_instant, lang=lang)
    return env


# Pages carry no inline script or style, so the browser can refuse any that an attacker smuggles in.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

Endpoint = Callable[[Request], Response]


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.rt
    return rt


def _instant(at: datetime, zone: str, lang: str) -> str:
    return when.format_instant(at, zone, lang)


def render(request: Request, template: str, lang: str, *, status: int = 200, **context: Any) -> Response:
    """A page in ``lang`` with the shared layout context; remembers an explicit language choice."""
    html = (
        _environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            languages=i18n.LANGUAGE_NAMES,
            t=i18n.STRINGS[lang],
            path=context.pop("path", request.url.path),  # a page reached by a query keeps it
            server_now=runtime(request).clock.now().isoformat(),
            feeds=context.pop("feeds", _site_feeds()),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(_SECURITY_HEADERS)
    response.headers["Content-Language"] = lang
    # The language comes from the query, a cookie or Accept-Language, so caches must keep them apart.
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "no-cache"
    i18n.remember(request, response)
    return response


def render_html(template: str, lang: str, *, status: int = 200, **context: Any) -> Response:
    """A page from ``template`` in ``lang`` with the pages' security headers, and nothing of the
    public layout."""
    html = (
        _environment(lang).get_template(template).render(lang=lang, languages=i18n.LANGUAGE_NAMES, **context)
    )
    response = HTMLResponse(html, status_code=status)
    response.headers.update(_SECURITY_HEADERS)
    response.headers["Content-Language"] = lang
    return response


def _site_feeds() -> dict[str, str]:
    return {"atom": "/feed.atom", "calendar": "/calendar.ics"}


def html_page(endpoint: Endpoint) -> Endpoint:
    """Turn a ``NotFound`` from the query into the HTML 404 page; other errors stay problem+json."""

    @functools.wraps(endpoint)
    def wrapper(request: Request) -> Response:
        try:
            return endpoint(request)
        except NotFound:
            return not_found(request)

    return wrapper


def not_found(request: Request) -> Response:
    return render(request, "not_found.html", i18n.choose_lang(request), status=404)
