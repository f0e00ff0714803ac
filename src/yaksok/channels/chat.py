"""Chat: a notice as a message to an incoming webhook, Slack-compatible (Slack, Mattermost, and
Discord's ``/slack`` endpoint: Block Kit) or Microsoft Teams (a workflow webhook: an Adaptive
Card in a ``message`` envelope). The webhook's URL is the channel's secret, so it is the target
and nothing else is kept.

A 2xx answer is delivered; ``429`` waits for ``Retry-After``; ``404`` and ``410`` (the webhook
or its channel is gone: Slack's ``no_service``, ``channel_is_archived``) disable the endpoint;
another 4xx is given up (the message was refused as it is); anything else is retried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import httpx

from yaksok.channels import render
from yaksok.channels.outbound import Outgoing, Transport, TransportOptions, deliver_each
from yaksok.channels.webhook import WebhookTransport, retry_after_wait
from yaksok.domain.delivery import Delivered, GiveUp, Outcome, RetryLater
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice

# Block Kit's limits: a header's text, a section's text, a button's label.
HEADER_MAX, SECTION_MAX, BUTTON_MAX = 150, 3000, 75
_WORDS = {
    "en": {"published": "Published", "open": "Open the notice", "update": "Next update"},
    "ko": {"published": "게시", "open": "공지 보기", "update": "다음 업데이트"},
}


def _zone(notice: Notice, milestones: Mapping[str, Milestone]) -> str:
    """The zone the notice's first milestone is promised in (the launch's), else UTC."""
    for milestone_id in notice.milestone_ids:
        milestone = milestones.get(milestone_id)
        if milestone is not None and milestone.promise is not None:
            return milestone.promise.zone
    return "UTC"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> str:
    """Text as Slack mrkdwn shows it literally: only ``&``, ``<`` and ``>`` are escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _times(notice: Notice, lang: str, zone: str) -> list[str]:
    words = _WORDS["ko" if lang == "ko" else "en"]
    assert notice.published_at is not None
    times = [f"{words['published']}: {render.format_instant(notice.published_at, zone, lang)}"]
    if notice.next_update_at is not None:
        times.append(f"{words['update']}: {render.format_instant(notice.next_update_at, zone, lang)}")
    return times


def _texts(notice: Notice, lang: str, milestones: Mapping[str, Milestone], zone: str) -> list[str]:
    """The extras (a claim with its source and verdict, what it corrects: never cut) and the body."""
    shown_as_times = _times_words(notice, zone, lang)
    extras = [line for line in render.notice_extras(notice, lang, zone) if line not in shown_as_times]
    texts = ["\n".join(extras), render.body_text(notice, lang, milestones).strip()]
    return [text for text in texts if text]


def _times_words(notice: Notice, zone: str, lang: str) -> set[str]:
    """The extras' next-update line, which the times show instead."""
    if notice.next_update_at is None:
        return set()
    when = render.format_instant(notice.next_update_at, zone, lang)
    return {f"Next update at {when}", f"다음 업데이트: {when}"}


def slack_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """Block Kit: a header (the title), a section (body and extras in mrkdwn), a context (the
    times) and a button to the notice's page; ``text`` is the notification's fallback."""
    zone = _zone(notice, milestones)
    title, url = notice.title(lang), render.notice_url(base_url, notice.id)
    label = _WORDS["ko" if lang == "ko" else "en"]["open"]
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_MAX)}},
    ]
    for text in _texts(notice, lang, milestones, zone):
        section = {"type": "mrkdwn", "text": _cut(_mrkdwn(text), SECTION_MAX)}
        blocks.append({"type": "section", "text": section})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _mrkdwn(t)} for t in _times(notice, lang, zone)],
        }
    )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": label},
                    "url": url,
                    "action_id": "open",
                }
            ],
        }
    )
    return json.dumps({"text": f"{title} {url}", "blocks": blocks}, ensure_ascii=False).encode()


def teams_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """An Adaptive Card (1.4) in the ``message`` envelope Teams workflow webhooks take."""
    zone = _zone(notice, milestones)
    url = render.notice_url(base_url, notice.id)
    label = _WORDS["ko" if lang == "ko" else "en"]["open"]
    body: list[dict[str, object]] = [
        {"type": "TextBlock", "text": notice.title(lang), "size": "Large", "weight": "Bolder", "wrap": True},
    ]
    for text in _texts(notice, lang, milestones, zone):
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    facts = [{"title": t.split(": ", 1)[0], "value": t.split(": ", 1)[1]} for t in _times(notice, lang, zone)]
    body.append({"type": "FactSet", "facts": facts})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "lang": lang,
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": label, "url": url}],
    }
    envelope = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


class ChatTransport(Transport):
    """POSTs each message's JSON to its incoming webhook."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.http = httpx.AsyncClient(timeout=options.timeout, follow_redirects=False)

    def check_target(self, target: str) -> str:
        return WebhookTransport(self.options).check_target(target)  # http(s), resolvable, not private

    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        return await deliver_each(self, messages)

    async def deliver(self, message: Outgoing) -> Outcome:
        try:
            answer = await self.http.post(
                message.target, content=message.body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as exc:
            return RetryLater(f"{type(exc).__name__}: {exc}")
        status, why = answer.status_code, f"HTTP {answer.status_code}: {answer.text[:200]}"
        if 200 <= status < 300:
            return Delivered(self.options.now())
        if status in (404, 410):
            return GiveUp(why, disable_endpoint=True)
        if status == 429 or status >= 500 or status == 408:
            retry = answer.headers.get("retry-after")
            return RetryLater(why, after=retry_after_wait(None if retry is None else retry.encode()))
        return GiveUp(why)

    async def aclose(self) -> None:
        await self.http.aclose()
