"""The Atom feed and the calendar, site-wide and per launch, with conditional GET.

Feed readers and calendar clients poll; a 304 on an unchanged ``ETag`` or ``Last-Modified``
keeps that cheap. The ETag is a hash of the bytes, so it changes exactly when what a reader
would see changes (a placeholder re-rendered after a promise moved, or another language).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels.atom import atom_feed
from yaksok.channels.ical import calendar
from yaksok.config import Settings
from yaksok.services import queries
from yaksok.web.pages import i18n
from yaksok.web.pages.templating import runtime

ATOM = "application/atom+xml; charset=utf-8"
ICS = "text/calendar; charset=utf-8"
FEED_SIZE = 100
_FEED_TITLES = {"en": "notices", "ko": "공지", "ja": "お知らせ"}


def atom(request: Request) -> Response:
    slug: str | None = request.path_params.get("slug")
    lang = i18n.content_lang(i18n.choose_lang(request))
    board = queries.board(runtime(request), launch_slug=slug, limit=FEED_SIZE)
    base = _settings(request).public_url
    name = _name(board, slug, lang)
    body = atom_feed(
        board.notices,
        board.milestones,
        base_url=base,
        lang=lang,
        title=f"{name} — {_FEED_TITLES[lang]}",
        subtitle=i18n.STRINGS[lang]["tagline"],
        self_url=f"{base}{request.url.path}",
        launches=board.launches,
    )
    return conditional(request, body, ATOM, _newest(board))


def ics(request: Request) -> Response:
    slug: str | None = request.path_params.get("slug")
    lang = i18n.content_lang(i18n.choose_lang(request))
    # Every promise change publishes a notice, so the newest notice dates the calendar too.
    board = queries.board(runtime(request), launch_slug=slug, limit=1)
    body = calendar(
        board.milestones.values(),
        board.launches,
        base_url=_settings(request).public_url,
        lang=lang,
        name=_name(board, slug, lang),
    )
    return conditional(request, body, ICS, _newest(board))


def conditional(request: Request, body: bytes, media_type: str, last_modified: datetime | None) -> Response:
    """``body``, or 304 when the client's copy (by ETag, else by date) is still current."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Language, Cookie"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if _still_current(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _still_current(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:  # RFC 9110 13.1.3: If-None-Match wins over If-Modified-Since
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        return False
    # HTTP dates have whole seconds; a publication within the same second counts as not newer.
    return last_modified.replace(microsecond=0) <= since


def _newest(board: queries.Board) -> datetime | None:
    return max((n.published_at for n in board.notices if n.published_at), default=None)


def _name(board: queries.Board, slug: str | None, lang: str) -> str:
    return board.launches[slug].title(lang) if slug else i18n.STRINGS[lang]["site_name"]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
