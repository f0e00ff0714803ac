"""A notice as the pages show it (board, launch page, its own page) and ``GET /notices/{id}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels.render import body_html, format_instant, launch_url, notice_extras_html, notice_url
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Notice
from yaksok.services import queries, questions, social
from yaksok.web.pages import i18n, labels
from yaksok.web.pages import questions as questions_page
from yaksok.web.pages.templating import html_page, render, runtime

NETWORK_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X"}


@dataclass(frozen=True)
class NoticeView:
    id: str
    url: str
    kind: str
    kind_label: str
    title: str
    published: str
    published_iso: str
    body_html: Markup
    extras: list[Markup]
    overridden: bool
    verdict: str
    verdict_label: str
    launch_title: str
    launch_url: str
    superseded_by: str
    content_note: str = ""  # when its launch's texts are shown in another language than the page's


def notice_view(
    notice: Notice,
    lang: str,
    milestones: Mapping[str, Milestone],
    launches: Mapping[str, Launch],
    *,
    superseded_by: str = "",
) -> NoticeView:
    """Every line comes from ``channels.render``, so the page says what the feeds and messages say."""
    launch = launches.get(notice.launch_slug) if notice.launch_slug else None
    zone = launch.zone if launch else "UTC"
    languages = launch.languages if launch else None  # each text falls back as they say
    published_at = notice.published_at or notice.created_at
    verdict = notice.claim.verdict.value if notice.claim else ""
    return NoticeView(
        id=notice.id,
        url=notice_url("", notice.id),
        kind=notice.kind.value,
        kind_label=labels.NOTICE_KINDS[lang][notice.kind.value],
        title=notice.title(lang, languages),
        published=format_instant(published_at, zone, lang),
        published_iso=published_at.isoformat(),
        # body_html escapes the author's HTML and refuses unsafe links: it is safe as it stands.
        body_html=Markup(body_html(notice, lang, milestones, languages)),
        # Escaped by render, with the claim's source as a link.
        extras=[Markup(line) for line in notice_extras_html(notice, lang, zone, languages)],
        overridden=bool(notice.overridden),
        verdict=verdict,
        verdict_label=labels.VERDICTS[lang][verdict] if verdict else "",
        launch_title=launch.title(lang) if launch else "",
        launch_url=launch_url("", launch.slug) if launch else "",
        superseded_by=notice_url("", superseded_by) if superseded_by else "",
        content_note=i18n.content_note(launch, lang) if launch else "",
    )


def notice_views(
    notices: list[Notice], lang: str, milestones: Mapping[str, Milestone], launches: Mapping[str, Launch]
) -> list[NoticeView]:
    """Views of a list of notices, marking those a later notice in the list corrected."""
    corrected = {n.supersedes: n.id for n in notices if n.supersedes}
    return [
        notice_view(n, lang, milestones, launches, superseded_by=corrected.get(n.id, "")) for n in notices
    ]


@html_page
def notice_page(request: Request) -> Response:
    lang = i18n.choose_lang(request)
    page = queries.notice_page(runtime(request), request.path_params["notice_id"])
    launches = {page.launch.slug: page.launch} if page.launch else {}
    related = {"supersedes": page.supersedes, "superseded_by": page.superseded_by}
    links = {
        key: notice_view(other, lang, page.milestones, launches)
        for key, other in related.items()
        if other is not None
    }
    superseded_by = page.superseded_by.id if page.superseded_by else ""
    posts = [
        (NETWORK_NAMES.get(post.network, post.network), post.urls[0])
        for post in social.posts_of(runtime(request), page.notice.id)
        if post.urls and post.urls[0].startswith(("https://", "http://"))
    ]
    return render(
        request,
        "notice.html",
        lang,
        notice=notice_view(page.notice, lang, page.milestones, launches, superseded_by=superseded_by),
        links=links,
        posts=posts,
        q=questions_page.WORDS[lang],
        questions=questions_page.question_views(
            questions.public_questions(runtime(request), notice_id=page.notice.id), launches, lang
        ),
        question_form=questions_page.question_form(request, lang, f"/notices/{page.notice.id}/questions")
        if page.launch
        else None,
        asked=request.query_params.get("asked", ""),
    )
