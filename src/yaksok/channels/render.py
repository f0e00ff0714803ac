"""Notice text as every channel shows it: placeholders expanded, Markdown rendered, extras listed.

This is the one place notice text is rendered, so the board, the feed, the calendar and the
messages all say the same thing in the same words.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt

from yaksok.channels import when
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Claim, Notice, Verdict
from yaksok.domain.promise import zone_info
from yaksok.domain.texts import pick_text

# Milestone ids are "<launch slug>.<key>", both slugs; anything else is left as the author wrote it.
_PLACEHOLDER = re.compile(r"\{\{milestone:([a-z0-9][a-z0-9.-]*)\}\}")
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# CommonMark with raw HTML off: user HTML is shown as text. Links keep markdown-it's
# validateLink, which refuses javascript:, vbscript:, file: and non-image data: URLs.
_MARKDOWN = MarkdownIt("commonmark", {"html": False})

_VERDICTS = {
    "en": {Verdict.FALSE: "false", Verdict.UNCONFIRMED: "unconfirmed", Verdict.CORRECT: "correct"},
    "ko": {Verdict.FALSE: "사실 아님", Verdict.UNCONFIRMED: "미확인", Verdict.CORRECT: "사실"},
    "ja": {Verdict.FALSE: "事実ではない", Verdict.UNCONFIRMED: "未確認", Verdict.CORRECT: "事実"},
}
# The lines every channel adds under a notice, in each language yaksok writes.
_LINES = {
    "en": {
        "claim": "Claim: {text} — Verdict: {verdict}",
        "source": " (source {source})",
        "override": "Policy override ({rules}): {why}",
        "corrects": "Corrects notice {notice}",
        "next": "Next update at {at}",
        "late": "Published {minutes} min late (scheduled {at})",
        "unknown": "[unknown milestone {milestone}]",
    },
    "ko": {
        "claim": "주장: {text} — 판정: {verdict}",
        "source": " (출처 {source})",
        "override": "정책 예외 ({rules}): {why}",
        "corrects": "정정 대상 공지: {notice}",
        "next": "다음 업데이트: {at}",
        "late": "{minutes}분 늦게 게시됨 (예정 {at})",
        "unknown": "[알 수 없는 마일스톤 {milestone}]",
    },
    "ja": {
        "claim": "主張: {text} — 判定: {verdict}",
        "source": " (出典 {source})",
        "override": "ポリシー例外 ({rules}): {why}",
        "corrects": "訂正対象のお知らせ: {notice}",
        "next": "次回の更新: {at}",
        "late": "{minutes}分遅れて掲載 (予定 {at})",
        "unknown": "[不明なマイルストーン {milestone}]",
    },
}


def _line(lang: str, which: str, **values: object) -> str:
    return _LINES.get(lang, _LINES["en"])[which].format(**values)


def format_instant(at: datetime, zone: str, lang: str = "en") -> str:
    """Any instant in the words promises use in ``lang``, e.g. ``2010-11-09 20:00 KST (11:00 UTC)``
    (``channels.when`` writes them)."""
    return when.format_instant(at, zone, lang)


def notice_url(base_url: str, notice_id: str) -> str:
    return f"{base_url.rstrip('/')}/notices/{quote(notice_id, safe='')}"


def launch_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/launches/{quote(slug, safe='')}"


def describe_milestone(milestone: Milestone, lang: str) -> str:
    """A milestone's current promise in words; a cancelled one says so rather than show a live time."""
    promise = milestone.promise
    if promise is not None and milestone.cancelled:
        return when.cancelled(promise, lang)
    return when.describe(promise, lang)


def expand_placeholders(text: str, lang: str, milestones: Mapping[str, Milestone]) -> str:
    """Replace each ``{{milestone:ID}}`` with that milestone's current promise in words.

    An unknown id becomes a visible ``[unknown milestone ID]`` marker, never an error.
    """
    return _expand(text, lang, milestones, escape=False)


def body_html(
    notice: Notice, lang: str, milestones: Mapping[str, Milestone], languages: Sequence[str] | None = None
) -> str:
    """The notice body for a reader of ``lang`` (falling back as its launch's ``languages`` say)
    as safe HTML: placeholders expanded, user HTML escaped."""
    body = notice.body(lang, languages)
    rendered: str = _MARKDOWN.render(_expand(body, lang, milestones, escape=True))
    return rendered


def body_text(
    notice: Notice, lang: str, milestones: Mapping[str, Milestone], languages: Sequence[str] | None = None
) -> str:
    """The notice body for a reader of ``lang`` (falling back as its launch's ``languages`` say)
    as plain text: placeholders expanded, Markdown left as written."""
    return expand_placeholders(notice.body(lang, languages), lang, milestones)


def notice_extras(
    notice: Notice, lang: str, zone: str | None = None, languages: Sequence[str] | None = None
) -> list[str]:
    """Short lines every channel shows with the notice: claim and verdict, policy override,
    correction, next update and lateness. Times are shown in ``zone`` (the launch's), else UTC;
    the justification falls back as the launch's ``languages`` say."""
    claim = [] if notice.claim is None else [_claim_line(notice.claim, lang, as_html=False)]
    return claim + _more_extras(notice, lang, zone or "UTC", languages)


def notice_extras_html(
    notice: Notice, lang: str, zone: str | None = None, languages: Sequence[str] | None = None
) -> list[str]:
    """The lines of ``notice_extras`` as safe HTML, the claim's source a link (http and https only)."""
    claim = [] if notice.claim is None else [_claim_line(notice.claim, lang, as_html=True)]
    return claim + [html.escape(line) for line in _more_extras(notice, lang, zone or "UTC", languages)]


def source_link(url: str) -> str:
    """``url`` as an HTML link if it is an http(s) URL, else as escaped text; the link is the
    author's pick of someone else's page, so it passes on no standing and no window."""
    shown = html.escape(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return shown
    return f'<a href="{shown}" rel="nofollow noopener">{shown}</a>'


def _claim_line(claim: Claim, lang: str, *, as_html: bool) -> str:
    verdict = _VERDICTS.get(lang, _VERDICTS["en"])[claim.verdict]
    text = html.escape(claim.text) if as_html else claim.text
    line = _line(lang, "claim", text=text, verdict=verdict)
    if claim.source_url:
        source = source_link(claim.source_url) if as_html else claim.source_url
        line += _line(lang, "source", source=source)
    return line


def _more_extras(notice: Notice, lang: str, zone: str, languages: Sequence[str] | None) -> list[str]:
    lines: list[str] = []
    if notice.overridden:
        rules, why = ", ".join(notice.overridden), pick_text(notice.justification, lang, languages)
        lines.append(_line(lang, "override", rules=rules, why=why))
    if notice.supersedes:
        lines.append(_line(lang, "corrects", notice=notice.supersedes))
    if notice.next_update_at is not None:
        lines.append(_line(lang, "next", at=format_instant(notice.next_update_at, zone, lang)))
    late = _lateness_line(notice, lang, zone)
    if late:
        lines.append(late)
    return lines


def _lateness_line(notice: Notice, lang: str, zone: str) -> str:
    lateness, scheduled, published = notice.lateness, notice.publish_at, notice.published_at
    # Under a minute is the scheduler's normal jitter, not lateness worth a line on every channel;
    # the exact figure stays in the ledger.
    if lateness is None or lateness < timedelta(minutes=1) or scheduled is None or published is None:
        return ""
    minutes = math.ceil(lateness / timedelta(minutes=1))
    tz = zone_info(zone)
    local_scheduled, local_published = scheduled.astimezone(tz), published.astimezone(tz)
    pattern = "%H:%M %Z" if local_scheduled.date() == local_published.date() else "%Y-%m-%d %H:%M %Z"
    at = local_scheduled.strftime(pattern)
    return _line(lang, "late", minutes=minutes, at=at)


def _expand(text: str, lang: str, milestones: Mapping[str, Milestone], *, escape: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        milestone = milestones.get(match[1])
        if milestone is None:
            words = _line(lang, "unknown", milestone=match[1])
        else:
            words = describe_milestone(milestone, lang)
        # In Markdown the words must stay words: "[unknown milestone x]" followed by "(url)"
        # would otherwise become a link.
        return _MARKDOWN_PUNCTUATION.sub(r"\\\1", words) if escape else words

    return _PLACEHOLDER.sub(replace, text)
