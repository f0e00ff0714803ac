"""Live updates as Server-Sent Events (WHATWG HTML, "Server-sent events"): one frame per notice.

A frame carries the notice's ledger seq as its ``id``, so a client that reconnects sends it back
as ``Last-Event-ID`` and resumes exactly after it. No I/O here: ``web/live.py`` holds the streams.
"""

from __future__ import annotations

import msgspec

from yaksok.channels.render import notice_url
from yaksok.domain.notice import Notice

RETRY_MS = 3000
RETRY = b"retry: %d\n\n" % RETRY_MS  # sent first: how long a browser waits before reconnecting
KEEPALIVE = b": keep-alive\n\n"  # a comment line; clients ignore it, proxies see traffic
EVENT = "notice"


def notice_frame(notice: Notice, seq: int, *, base_url: str) -> bytes:
    """The SSE frame announcing a published notice: ``id: <seq>``, ``event: notice`` and one
    ``data:`` line of JSON (id, seq, kind, launch, titles, published_at, url).

    ``base_url=""`` gives a root-relative ``url`` (``/notices/<id>``), which works behind any host.
    """
    if notice.published_at is None:
        raise ValueError(f"notice {notice.id!r} is not published")
    event = {
        "id": notice.id,
        "seq": seq,
        "kind": notice.kind.value,
        "launch": notice.launch_slug,
        "titles": notice.titles,
        "published_at": notice.published_at.isoformat(),
        "url": notice_url(base_url, notice.id),
    }
    # A line break ends an SSE field; JSON escapes every one inside strings (\n, \r), so the
    # whole event always fits on a single data line whatever the titles hold.
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, EVENT.encode(), msgspec.json.encode(event))


ANSWER_EVENT = "answer"


def answer_frame(
    seq: int, *, question: str, launch: str, notice: str | None, text: str, at: str, url: str
) -> bytes:
    """The SSE frame of an official answer to a customer's question: ``event: answer`` and one
    ``data:`` line of JSON (question id, launch, notice, the answer's text, answered_at, url).
    Plain text in JSON: a page showing it must escape it, as the pages do."""
    event = {"question": question, "seq": seq, "launch": launch, "notice": notice, "text": text,
             "answered_at": at, "url": url}  # fmt: skip
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, ANSWER_EVENT.encode(), msgspec.json.encode(event))
