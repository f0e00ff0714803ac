"""The Atom feed (RFC 4287): every published notice with its full content."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from yaksok.channels.render import body_html, notice_extras_html, notice_url
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Notice, NoticeState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot carry at all; lxml refuses them, which would take the whole feed down.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def atom_feed(
    notices: Iterable[Notice],
    milestones: Mapping[str, Milestone],
    *,
    base_url: str,
    lang: str,
    title: str,
    subtitle: str = "",
    updated: datetime | None = None,
    self_url: str | None = None,
    launches: Mapping[str, Launch] | None = None,
    author: str = "yaksok",
) -> bytes:
    """An Atom document of the published notices, newest first, in ``lang``.

    Drafts and scheduled notices are left out. The feed's ``updated`` is the newest
    publication, else ``updated``, else the epoch, so the same notices give the same bytes.
    ``self_url`` names a per-launch feed (default ``{base_url}/feed.atom``); ``launches``
    lets times in the extras show in each launch's zone.
    """
    base = base_url.rstrip("/")
    self_url = self_url or f"{base}/feed.atom"
    published = sorted(
        (n for n in notices if n.state is NoticeState.PUBLISHED and n.published_at is not None),
        key=lambda n: (n.published_at, n.id),
        reverse=True,
    )
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(_xml_safe(title))
    if subtitle:
        feed.subtitle(_xml_safe(subtitle))
    feed.language(lang)
    feed.author({"name": author})
    feed.generator("yaksok")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=f"{base}/", rel="alternate", type="text/html")
    feed.updated(_published_at(published[0]) if published else updated or _EPOCH)
    for notice in published:
        launch = _launch(notice, launches)
        zone, languages = (None, None) if launch is None else (launch.zone, launch.languages)
        _add_entry(feed, notice, milestones, base=base, lang=lang, zone=zone, languages=languages)
    return feed.atom_str(pretty=True)


def _add_entry(
    feed: FeedGenerator,
    notice: Notice,
    milestones: Mapping[str, Milestone],
    *,
    base: str,
    lang: str,
    zone: str | None,
    languages: Sequence[str] | None,
) -> None:
    """The notice's entry; its texts fall back as its launch's ``languages`` say."""
    url = notice_url(base, notice.id)
    entry = feed.add_entry(order="append")
    entry.id(url)
    entry.title(_xml_safe(notice.title(lang, languages)))
    entry.updated(_published_at(notice))
    entry.published(_published_at(notice))
    entry.link(href=url, rel="alternate", type="text/html")
    extras = "".join(f"<p>{line}</p>\n" for line in notice_extras_html(notice, lang, zone, languages))
    entry.content(_xml_safe(body_html(notice, lang, milestones, languages) + extras), type="html")
    entry.category(term=notice.kind.value)


def _published_at(notice: Notice) -> datetime:
    assert notice.published_at is not None, "atom_feed keeps published notices only"
    return notice.published_at


def _launch(notice: Notice, launches: Mapping[str, Launch] | None) -> Launch | None:
    if launches is None or notice.launch_slug is None:
        return None
    return launches.get(notice.launch_slug)


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
