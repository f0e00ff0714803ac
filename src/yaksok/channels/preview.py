"""A notice as each channel will carry it, before it is published: what the console's composer
shows. Every preview is made by the renderer that channel sends with, so what the operator sees
is what subscribers get (a social thread cut as that network counts, the email's subject, text
and HTML, the webhook event, the push message, the Atom entry)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from yaksok.channels import email, render, thread
from yaksok.channels.atom import atom_feed
from yaksok.channels.social import read_message, social_body
from yaksok.channels.transports import REGISTRY
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice

SOCIAL_RULES = {"mastodon": thread.MASTODON, "bluesky": thread.BLUESKY, "x": thread.X}
# Channels whose message is a JSON document: shown indented.
_JSON_CHANNELS = ("webhook", "webpush", "slack", "teams")


@dataclass(frozen=True)
class Post:
    """One post of a social thread with its length as the network counts it."""

    text: str
    length: int
    limit: int


@dataclass(frozen=True)
class Preview:
    channel: str
    text: str = ""  # the message as sent: plain text, indented JSON or XML
    subject: str = ""  # an email's
    html: str = ""  # safe HTML (the board, an email's HTML part)
    posts: tuple[Post, ...] = ()  # a social network's thread


def previews(
    draft: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone], now: datetime
) -> list[Preview]:
    """``draft`` in ``lang`` on the board, in the Atom feed and on every delivered channel, as it
    would go out if published at ``now``."""
    notice = draft.publish(now)
    shown = [
        Preview("board", html=render.body_html(notice, lang, milestones)),
        Preview("atom", text=_atom_entry(notice, lang, base_url, milestones)),
        _email(notice, lang, base_url, milestones),
    ]
    for name in _JSON_CHANNELS:
        if name in REGISTRY:
            channel = REGISTRY[name]
            raw = channel.render(notice, lang, base_url, milestones)
            if channel.personal is not None:  # each subscriber's own manage link: its token elided
                head, tail = channel.personal(raw, email.manage_url(base_url, ""))
                raw = head + "…".encode() + tail
            body = json.loads(raw)
            shown.append(Preview(name, text=json.dumps(body, ensure_ascii=False, indent=2)))
    message = read_message(social_body(notice, lang, base_url, milestones))
    for name, rules in SOCIAL_RULES.items():
        posts = thread.split(message.text, rules, message.link)
        shown.append(Preview(name, posts=tuple(Post(p, rules.count(p), rules.limit) for p in posts)))
    return shown


def _email(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> Preview:
    parts = json.loads(email.notice_body(notice, lang, base_url, milestones))
    return Preview("email", text=parts["text"], subject=parts["subject"], html=parts["html"])


def _atom_entry(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> str:
    feed = atom_feed([notice], milestones, base_url=base_url, lang=lang, title="preview").decode()
    return feed[feed.index("<entry>") : feed.index("</entry>") + len("</entry>")]
