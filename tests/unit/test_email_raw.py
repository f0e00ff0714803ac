"""A fan-out's email made as bytes (``channels.email._Raw``) reads, once parsed, as the message the
``email`` package makes for the same subscriber: the same headers, text and HTML."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from hypothesis import given, settings
from hypothesis import strategies as st

from yaksok.channels.email import _Raw, message
from yaksok.channels.outbound import Outgoing, Smtp, TransportOptions

NOW = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
OPTIONS = TransportOptions(
    smtp=Smtp(sender="notices@yaksok.example"), base_url="https://yaksok.example", now=lambda: NOW
)
HEADERS = ("Subject", "From", "To", "Date", "Message-ID", "List-Id", "Content-Language", "List-Unsubscribe",
           "List-Unsubscribe-Post")  # fmt: skip
words = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=80)


def parsed(raw: bytes) -> EmailMessage:
    found = message_from_bytes(raw, policy=policy.default)
    assert isinstance(found, EmailMessage)
    return found


@settings(max_examples=60, deadline=None)
@given(words.filter(str.strip), words, words, st.sampled_from(["en", "ko", "ja"]))
def test_an_email_made_as_bytes_reads_as_the_email_packages_own(
    subject: str, text: str, page: str, lang: str
) -> None:
    body = json.dumps({"language": lang, "subject": subject, "text": text, "html": page}).encode()
    outgoing = Outgoing("msg_n_1.s_1", "r1@example.com", "s_1.token-_", body)
    raw = _Raw(OPTIONS).message(outgoing)
    assert raw is not None
    fast, slow = parsed(raw), parsed(message(OPTIONS, outgoing).as_bytes(policy=policy.SMTP))
    assert [str(fast[h]) for h in HEADERS] == [str(slow[h]) for h in HEADERS]
    for kind in ("plain", "html"):
        fast_part, slow_part = fast.get_body((kind,)), slow.get_body((kind,))
        assert fast_part is not None and slow_part is not None
        assert fast_part.get_content().replace("\r\n", "\n") == slow_part.get_content().replace("\r\n", "\n")


def test_an_address_that_is_not_ascii_is_left_to_the_email_package() -> None:
    body = json.dumps({"language": "en", "subject": "s", "text": "t", "html": "h"}).encode()
    assert _Raw(OPTIONS).message(Outgoing("msg_1", "받는이@example.com", "s_1.t", body)) is None
    assert _Raw(OPTIONS).message(Outgoing("msg_1", "r@example.com", "", body)) is None
