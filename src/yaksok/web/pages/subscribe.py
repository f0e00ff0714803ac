"""Subscribing from the pages, without script: the form on the board and on each launch page
(email or webhook, launches, notice kinds, language), the page that answers it in the language
chosen, and the page where a subscriber changes what it gets from the link in every email.

The subscribe form is public: it carries a signed form token (``subscriber_links.form_token``)
and is refused when posted from another site (``Origin``, ``Sec-Fetch-Site``), so no other page
can subscribe a visitor's browser to anything. A refused form is answered with its 4xx status and
the reason on the page, the form filled in again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels.transports import REGISTRY
from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.commands import Subscribe
from yaksok.domain.errors import InvalidInput, YaksokError
from yaksok.domain.launch import Launch
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import LANGUAGES, Subscription
from yaksok.services import delivery, queries, subscriber_links
from yaksok.web import errors
from yaksok.web.pages import i18n, labels
from yaksok.web.pages.templating import render, runtime

FORM_CHANNELS = ("email", "webhook")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class SubscribeForm:
    """What the form shows: the choices, and what was chosen when it comes back refused."""

    action: str
    token: str
    channel: str
    address: str
    url: str
    contact: str
    language: str
    launches: list[Choice]
    kinds: list[Choice]
    languages: list[Choice]


@dataclass
class _Posted:
    channel: str = "email"
    address: str = ""
    url: str = ""
    contact: str = ""
    language: str = ""
    token: str = ""
    launches: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


def subscribe_form(
    request: Request,
    lang: str,
    *,
    launches: Mapping[str, Launch] | None = None,
    chosen: tuple[str, ...] = (),
    posted: _Posted | None = None,
) -> SubscribeForm:
    """The form in ``lang``, the launches in ``chosen`` ticked (a launch page ticks its own)."""
    rt = runtime(request)
    if launches is None:
        launches = queries.launches(rt)
    posted = posted or _Posted(launches=chosen, language=i18n.content_lang(lang))
    return SubscribeForm(
        action="/subscribe",
        token=subscriber_links.form_token(rt),
        channel=posted.channel,
        address=posted.address,
        url=posted.url,
        contact=posted.contact,
        language=posted.language or i18n.content_lang(lang),
        launches=[
            Choice(slug, launch.title(lang), slug in posted.launches)
            for slug, launch in sorted(launches.items())
        ],
        kinds=[
            Choice(k.value, labels.NOTICE_KINDS[lang][k.value], k.value in posted.kinds) for k in NoticeKind
        ],
        languages=[
            Choice(code, i18n.LANGUAGE_NAMES[code], code == (posted.language or i18n.content_lang(lang)))
            for code in LANGUAGES
        ],
    )


def _launch_choices(launches: Mapping[str, Launch], lang: str, ticked: tuple[str, ...]) -> list[Choice]:
    return [Choice(slug, launch.title(lang), slug in ticked) for slug, launch in sorted(launches.items())]


def _kind_choices(lang: str, ticked: tuple[str, ...]) -> list[Choice]:
    return [Choice(k.value, labels.NOTICE_KINDS[lang][k.value], k.value in ticked) for k in NoticeKind]


async def _form_fields(request: Request) -> _Posted:
    """The posted form (URL-encoded; the ticked boxes repeat their name), or ``invalid.choice``."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise InvalidInput("send the form as application/x-www-form-urlencoded", code=codes.INVALID_CHOICE)
    settings: Settings = request.app.state.settings
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise InvalidInput("the form is too large", code=codes.INVALID_CHOICE)
    posted = _Posted()
    launches: list[str] = []
    kinds: list[str] = []
    for name, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
        if name == "launch":
            launches.append(value)
        elif name == "kind":
            kinds.append(value)
        elif name in ("channel", "address", "url", "contact", "language", "token"):
            setattr(posted, name, value.strip())
    posted.launches, posted.kinds = tuple(launches), tuple(kinds)
    return posted


def _from_this_site(request: Request) -> bool:
    site = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    return (origin is None or origin == site) and request.headers.get("sec-fetch-site") != "cross-site"


def _checked_choices(posted: _Posted) -> tuple[NoticeKind, ...]:
    if posted.channel not in FORM_CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(FORM_CHANNELS)}", code=codes.INVALID_CHOICE)
    if posted.language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", code=codes.INVALID_LANGUAGE)
    known = {k.value for k in NoticeKind}
    for kind in posted.kinds:
        if kind not in known:
            raise InvalidInput(f"no notice kind {kind[:40]!r}", code=codes.INVALID_CHOICE)
    return tuple(NoticeKind(kind) for kind in posted.kinds)


async def subscribe_submit(request: Request) -> Response:
    """``POST /subscribe``: the subscription made (a webhook's secret shown once; an email told to
    look for the confirmation), or the form again with why it was refused."""
    rt = runtime(request)
    settings: Settings = request.app.state.settings
    try:
        posted = await _form_fields(request)
    except InvalidInput as exc:
        return await _refused(request, _Posted(), exc)
    lang = posted.language if posted.language in LANGUAGES else i18n.content_lang(i18n.choose_lang(request))
    try:
        # Each subscription may send a confirmation email: limited per address like every public write.
        request.app.state.public_writes.take_for(request.scope.get("client"))
        if not _from_this_site(request):
            raise InvalidInput("this form was sent from another site", code=codes.SUBSCRIPTION_FORM_STALE)
        await run_in_threadpool(subscriber_links.check_form_token, rt, posted.token)
        kinds = _checked_choices(posted)
        command = Subscribe(
            channel=posted.channel,
            target=posted.address if posted.channel == "email" else posted.url,
            language=posted.language,
            launches=posted.launches,
            kinds=kinds,
            contact=posted.contact if posted.channel == "webhook" else "",
        )
        options = delivery.transport_options(settings, rt)
        made = await run_in_threadpool(delivery.subscribe, rt, command, options)
    except YaksokError as exc:
        return await _refused(request, posted, exc, lang)
    if not REGISTRY[made.channel].confirmed:
        await delivery.send_confirmation(rt, settings, made)
    return await run_in_threadpool(_subscribed_page, request, made, lang)


def _subscribed_page(request: Request, made: Subscription, lang: str) -> Response:
    return render(
        request,
        "subscribed.html",
        lang,
        status=201,
        made=made,
        confirmed=REGISTRY[made.channel].confirmed,
        secret=made.secret if REGISTRY[made.channel].signed else "",
        path="/",
    )


async def _refused(request: Request, posted: _Posted, exc: YaksokError, lang: str | None = None) -> Response:
    lang = lang or i18n.choose_lang(request)

    def page() -> Response:
        return render(
            request,
            "subscribe.html",
            lang,
            status=errors.status_of(type(exc)),
            error=exc.message,
            error_code=exc.code,
            form=subscribe_form(request, lang, posted=posted),
            path="/",
        )

    return await run_in_threadpool(page)


def subscribe_page(request: Request) -> Response:
    """``GET /subscribe``: the form alone (``?launch=`` ticks a launch)."""
    lang = i18n.choose_lang(request)
    chosen = tuple(request.query_params.getlist("launch"))
    return render(
        request,
        "subscribe.html",
        lang,
        error="",
        error_code="",
        form=subscribe_form(request, lang, chosen=chosen),
    )


@dataclass(frozen=True)
class ManageForm:
    subscription: Subscription
    action: str
    unsubscribe: str
    launches: list[Choice]
    kinds: list[Choice]
    languages: list[Choice]


def _manage_form(request: Request, found: Subscription, lang: str, token: str) -> ManageForm:
    launches = queries.launches(runtime(request))
    return ManageForm(
        subscription=found,
        action=request.url.path,
        unsubscribe=f"/unsubscribe/{token}",
        launches=[
            Choice(slug, launch.title(lang), slug in found.launches)
            for slug, launch in sorted(launches.items())
        ],
        kinds=[Choice(k.value, labels.NOTICE_KINDS[lang][k.value], k in found.kinds) for k in NoticeKind],
        languages=[Choice(code, i18n.LANGUAGE_NAMES[code], code == found.language) for code in LANGUAGES],
    )


def manage_page(request: Request) -> Response:
    """``GET /subscriptions/manage/{token}``: what the subscriber of the link gets, as a form."""
    token = request.path_params["token"]
    rt = runtime(request)
    try:
        found = subscriber_links.managed(rt, token)
    except YaksokError as exc:
        lang = i18n.choose_lang(request)
        return render(
            request, "manage.html", lang, status=errors.status_of(type(exc)), error=exc.message,
            error_code=exc.code, form=None, saved=False, path="/",
        )  # fmt: skip
    lang = request.query_params.get("lang") or found.language
    lang = lang if lang in i18n.LANGS else found.language
    form = _manage_form(request, found, lang, token)
    return render(request, "manage.html", lang, error="", error_code="", form=form, saved=False, path="/")


async def manage_submit(request: Request) -> Response:
    """``POST /subscriptions/manage/{token}``: launches, kinds and language chosen from now on."""
    token = request.path_params["token"]
    rt = runtime(request)
    lang = i18n.choose_lang(request)
    try:
        if not _from_this_site(request):
            raise InvalidInput("this form was sent from another site", code=codes.SUBSCRIPTION_FORM_STALE)
        posted = await _form_fields(request)
        kinds = _checked_choices(replace_channel(posted))
        lang = posted.language
        changed = await run_in_threadpool(
            lambda: subscriber_links.change(
                rt, token, launches=posted.launches, kinds=kinds, language=posted.language
            )
        )
    except YaksokError as exc:
        error = exc

        def refused() -> Response:
            return render(
                request, "manage.html", lang, status=errors.status_of(type(error)), error=error.message,
                error_code=error.code, form=None, saved=False, path="/",
            )  # fmt: skip

        return await run_in_threadpool(refused)

    def saved() -> Response:
        form = _manage_form(request, changed, lang, token)
        return render(request, "manage.html", lang, error="", error_code="", form=form, saved=True, path="/")

    return await run_in_threadpool(saved)


def replace_channel(posted: _Posted) -> _Posted:
    """The manage form has no channel to choose: the subscription keeps its own."""
    posted.channel = "email"
    return posted
