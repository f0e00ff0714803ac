"""Email: each notice as a multipart (text and HTML) message over SMTP, in the subscriber's language.

The notice is rendered once per language (``notice_body``, from ``channels.render`` like every
channel); the transport adds what differs per subscriber: the recipient, a ``Message-ID`` made
from the delivery's id (the same on every attempt), and the RFC 8058 one-click unsubscribe
headers with the visible link in both parts. SMTP's answers decide the outcome: 4xx (and a lost
connection) is retried later, 5xx is given up.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import smtplib
import ssl
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from urllib.parse import quote, urlsplit

from yaksok.channels import render
from yaksok.channels.outbound import Outgoing, Smtp, Transport, TransportOptions
from yaksok.domain import codes
from yaksok.domain.delivery import Delivered, GiveUp, Outcome, RetryLater
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice

_FOOTER = {
    "en": ("You get this because you subscribed to yaksok notices. Unsubscribe:", "Unsubscribe"),
    "ko": ("yaksok 공지를 구독하셔서 받으신 메일입니다. 구독 해지:", "구독 해지"),
    "ja": ("yaksok のお知らせを購読されているため、このメールをお送りしています。購読の解除:", "購読を解除"),
}
_MANAGE = {
    "en": ("Choose what you get (launches, kinds, language):", "Manage your subscription"),
    "ko": ("받을 공지 고르기 (출시, 종류, 언어):", "구독 설정"),
    "ja": ("受け取るお知らせを選ぶ（発売、種類、言語）:", "購読の設定"),
}


def notice_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """A notice's email in ``lang`` (subject, text and HTML), as every attempt sends it."""
    title = notice.title(lang)
    url = render.notice_url(base_url, notice.id)
    extras = render.notice_extras(notice, lang)
    text = "\n\n".join([title, render.body_text(notice, lang, milestones), *extras, url])
    html_extras = "".join(f"<p>{line}</p>" for line in render.notice_extras_html(notice, lang))
    page = (
        f"<h1>{html.escape(title)}</h1>\n{render.body_html(notice, lang, milestones)}{html_extras}"
        f'<p><a href="{html.escape(url)}">{html.escape(url)}</a></p>'
    )
    return _encode(lang, title, text, page)


def confirmation_body(lang: str, confirm_url: str) -> bytes:
    """The one message an unconfirmed address gets: the link that confirms it."""
    if lang == "ko":
        subject, lead = (
            "yaksok 공지 구독 확인",
            "아래 링크를 누르면 구독이 확인됩니다. 요청하지 않으셨다면 무시하세요.",
        )
    elif lang == "ja":
        subject = "yaksok のお知らせ購読の確認"
        lead = "下のリンクを開くと購読が確認されます。お心当たりがなければ、このメールは無視してください。"
    else:
        subject = "Confirm your yaksok subscription"
        lead = "Open the link below to confirm your subscription. If you did not ask for it, ignore this."
    text = f"{lead}\n\n{confirm_url}"
    link = html.escape(confirm_url)
    return _encode(lang, subject, text, f'<p>{html.escape(lead)}</p><p><a href="{link}">{link}</a></p>')


def endpoint_alert_body(lang: str, kind: str, url: str, since: datetime, disables_at: datetime) -> bytes:
    """The email to a failing webhook's owner: ``warned`` (it will be disabled at
    ``disables_at`` unless it answers) or ``disabled``."""
    when, until = render.format_instant(since, "UTC", lang), render.format_instant(disables_at, "UTC", lang)
    if lang == "ko":
        if kind == "warned":
            subject = "yaksok 웹훅이 계속 실패하고 있습니다"
            lead = (
                f"웹훅 {url} 이(가) {when} 부터 응답하지 않습니다. {until} 까지 2xx 로 응답하지 않으면"
                " 이 웹훅으로 보내기를 멈춥니다."
            )
        else:
            subject = "yaksok 웹훅으로 보내기를 멈췄습니다"
            lead = (
                f"웹훅 {url} 이(가) {when} 부터 실패해 보내기를 멈췄습니다. 운영자가 다시 켜면"
                " 그동안 놓친 공지를 다시 보낼 수 있습니다."
            )
    elif lang == "ja":
        if kind == "warned":
            subject = "yaksok の Webhook が失敗し続けています"
            lead = (
                f"Webhook {url} は {when} から応答していません。{until} までに 2xx で応答しない場合、"
                "この Webhook への送信を止めます。"
            )
        else:
            subject = "yaksok は Webhook への送信を止めました"
            lead = (
                f"Webhook {url} は {when} から失敗していたため、送信を止めました。運営者が再開すれば、"
                "その間に届かなかったお知らせを送り直せます。"
            )
    elif kind == "warned":
        subject = "Your yaksok webhook keeps failing"
        lead = (
            f"Your webhook {url} has been failing since {when}. Unless it answers 2xx by {until},"
            " yaksok will stop sending to it."
        )
    else:
        subject = "yaksok stopped sending to your webhook"
        lead = (
            f"yaksok stopped sending to your webhook {url}: it had been failing since {when}. Once an"
            " operator resumes it, what it missed can be replayed."
        )
    return _encode(lang, subject, lead, f"<p>{html.escape(lead)}</p>")


def queue_code_body(lang: str, launch_title: str, code: str) -> bytes:
    """The code that confirms a contact's place in a launch's waiting room (pre-queue)."""
    if lang == "ko":
        subject = f"{launch_title} 대기열 확인 코드: {code}"
        lead = (
            f"{launch_title} 사전 대기열 자리를 확인하려면 이 코드를 입력하세요. "
            "요청하지 않으셨다면 무시하세요."
        )
    elif lang == "ja":
        subject = f"{launch_title} 待合室の確認コード: {code}"
        lead = (
            f"{launch_title} の事前待合室の順番を確認するには、このコードを入力してください。"
            "お心当たりがなければ無視してください。"
        )
    else:
        subject = f"{launch_title} waiting room code: {code}"
        lead = (
            f"Enter this code to confirm your place in the {launch_title} pre-queue. "
            "If you did not ask, ignore this."
        )
    text = f"{lead}\n\n{code}"
    return _encode(lang, subject, text, f"<p>{html.escape(lead)}</p><p><strong>{code}</strong></p>")


def answer_body(lang: str, launch_title: str, question: str, answer: str, url: str) -> bytes:
    """The official answer to a customer's question, to the contact they left, in their language."""
    if lang == "ko":
        subject = f"{launch_title}: 질문에 공식 답변이 달렸습니다"
        asked, answered, more = "질문", "공식 답변", "공개 페이지에서 보기:"
    elif lang == "ja":
        subject = f"{launch_title}: ご質問に公式の回答がありました"
        asked, answered, more = "ご質問", "公式の回答", "公開ページで見る:"
    else:
        subject = f"{launch_title}: your question has an official answer"
        asked, answered, more = "Your question", "Official answer", "On the public page:"
    text = f"{asked}:\n{question}\n\n{answered}:\n{answer}\n\n{more} {url}"
    link = html.escape(url)
    page = (
        f"<h1>{html.escape(subject)}</h1><h2>{asked}</h2><p>{_lines(question)}</p>"
        f'<h2>{answered}</h2><p>{_lines(answer)}</p><p>{more} <a href="{link}">{link}</a></p>'
    )
    return _encode(lang, subject, text, page)


def _lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def _encode(lang: str, subject: str, text: str, page: str) -> bytes:
    parts = {"language": lang, "subject": subject, "text": text, "html": page}
    return json.dumps(parts, ensure_ascii=False).encode()


def check_address(target: str) -> str:
    """An email address as stored, or ``subscription.address_invalid``."""
    try:
        address = Address(addr_spec=target.strip())
    except (HeaderParseError, ValueError, IndexError):
        address = None
    if address is None or not address.username or "." not in address.domain or len(target) > 254:
        raise InvalidInput(
            f"an email address is name@domain, not {target[:80]!r}", code=codes.SUBSCRIPTION_ADDRESS_INVALID
        )
    return address.addr_spec


def unsubscribe_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/unsubscribe/{quote(token, safe='')}"


def manage_url(base_url: str, token: str) -> str:
    """The page where a subscriber chooses what it gets; the same token as unsubscribing."""
    return f"{base_url.rstrip('/')}/subscriptions/manage/{quote(token, safe='')}"


def message(options: TransportOptions, outgoing: Outgoing) -> EmailMessage:
    """The MIME message for ``outgoing``; its ``secret`` is the unsubscribe token (none for a
    confirmation, which carries no unsubscribe link)."""
    parts = json.loads(outgoing.body)
    text, page = parts["text"], parts["html"]
    mail = EmailMessage()
    mail["Subject"] = parts["subject"]
    mail["From"] = options.smtp.sender
    mail["To"] = outgoing.target
    mail["Date"] = format_datetime(options.now())
    mail["Message-ID"] = f"<{outgoing.id}@{options.smtp.sender.rpartition('@')[2] or 'localhost'}>"
    mail["List-Id"] = f"yaksok notices <notices.{urlsplit(options.base_url).hostname or 'localhost'}>"
    if outgoing.secret:
        link = unsubscribe_url(options.base_url, outgoing.secret)
        mail["List-Unsubscribe"] = f"<{link}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        words, button = _FOOTER.get(parts["language"], _FOOTER["en"])
        choose, manage = _MANAGE.get(parts["language"], _MANAGE["en"])
        manage_link = manage_url(options.base_url, outgoing.secret)
        text += f"\n\n--\n{choose} {manage_link}\n{words} {link}\n"
        page += (
            f'<hr><p>{html.escape(choose)} <a href="{html.escape(manage_link)}">{html.escape(manage)}</a></p>'
            f'<p>{html.escape(words)} <a href="{html.escape(link)}">{html.escape(button)}</a></p>'
        )
    mail.set_content(text)
    mail.add_alternative(
        f'<!doctype html><html lang="{parts["language"]}"><body>{page}</body></html>', subtype="html"
    )
    mail["Content-Language"] = parts["language"]  # after the content: setting it clears Content-* headers
    return mail


class _Raw:
    """A fan-out's email as bytes: what is the same for every subscriber of one rendered body
    (its subject folded, its text and HTML), made once; each subscriber's message is then a few
    formatted lines and two base64 parts, without building an ``EmailMessage`` (which costs about
    a millisecond and a half per message in the ``email`` package's header objects)."""

    BOUNDARY = b"yaksok.alternative"  # "." is no base64 character: it cannot occur in a part

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.bodies: dict[bytes, tuple[str, bytes, str, str] | None] = {}
        sender = options.smtp.sender
        self.envelope_from = getaddresses([sender])[0][1] or sender
        host = urlsplit(options.base_url).hostname or "localhost"
        fixed = (
            f"From: {sender}\r\nList-Id: yaksok notices <notices.{host}>\r\n"
            if (sender + host).isascii()
            else None
        )
        self.fixed = None if fixed is None else fixed.encode()
        self.domain = (sender.rpartition("@")[2] or "localhost").rstrip(">")

    def message(self, outgoing: Outgoing) -> bytes | None:
        """The message's bytes, or None where the ``email`` package must make it (a recipient or
        sender that is not plain ASCII, a message without an unsubscribe link)."""
        target = outgoing.target
        if (
            self.fixed is None
            or not outgoing.secret
            or not target.isascii()
            or "\r" in target
            or "\n" in target
        ):
            return None
        if outgoing.body not in self.bodies:
            self.bodies[outgoing.body] = self._prepare(outgoing.body)
        prepared = self.bodies[outgoing.body]
        if prepared is None:
            return None
        lang, subject, text, page = prepared
        base_url = self.options.base_url
        link = unsubscribe_url(base_url, outgoing.secret)
        manage_link = manage_url(base_url, outgoing.secret)
        words, button = _FOOTER.get(lang, _FOOTER["en"])
        choose, manage = _MANAGE.get(lang, _MANAGE["en"])
        text += f"\n\n--\n{choose} {manage_link}\n{words} {link}\n"
        page += (
            f'<hr><p>{html.escape(choose)} <a href="{html.escape(manage_link)}">{html.escape(manage)}</a></p>'
            f'<p>{html.escape(words)} <a href="{html.escape(link)}">{html.escape(button)}</a></p>'
        )
        document = f'<!doctype html><html lang="{lang}"><body>{page}</body></html>\n'
        head = (
            f"To: {target}\r\nDate: {format_datetime(self.options.now())}\r\n"
            f"Message-ID: <{outgoing.id}@{self.domain}>\r\nContent-Language: {lang}\r\n"
            f"List-Unsubscribe: <{link}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        )
        return b"".join(
            (
                subject,
                self.fixed,
                head.encode(),
                b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="%s"\r\n\r\n'
                % self.BOUNDARY,
                _part(self.BOUNDARY, b"plain", text),
                _part(self.BOUNDARY, b"html", document),
                b"--%s--\r\n" % self.BOUNDARY,
            )
        )

    def _prepare(self, body: bytes) -> tuple[str, bytes, str, str] | None:
        parts = json.loads(body)
        lang = str(parts["language"])
        if not lang.isascii() or not lang.replace("-", "").isalnum():
            return None
        header = EmailMessage(policy=policy.SMTP)
        header["Subject"] = parts["subject"]  # folded and encoded as the email package does it
        subject = header.as_bytes().partition(b"\r\n\r\n")[0] + b"\r\n"
        return lang, subject, parts["text"], parts["html"]


def _part(boundary: bytes, subtype: bytes, content: str) -> bytes:
    encoded = base64.encodebytes(content.encode()).replace(b"\n", b"\r\n")
    return (
        b'--%s\r\nContent-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
        b"MIME-Version: 1.0\r\n\r\n%s" % (boundary, subtype, encoded)
    )


class EmailTransport(Transport):
    """Sends a batch over a few SMTP sessions (``Smtp.sessions``), each in a thread (``smtplib``
    blocks) carrying message after message: one connection, greeting and login for many messages,
    not one per message. A message the server refuses (its own answer) leaves the session usable;
    a lost connection is reopened once for the next message, and a session that cannot connect
    leaves its messages to the others (or, if none is left, to a retry)."""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.raw = _Raw(options)

    def check_target(self, target: str) -> str:
        return check_address(target)

    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(messages)
        queue = iter(range(len(messages)))
        lock = threading.Lock()

        def session() -> None:
            smtp: smtplib.SMTP | None = None
            try:
                while True:
                    with lock:
                        index = next(queue, None)
                    if index is None:
                        return
                    outgoing = messages[index]
                    raw = self.raw.message(outgoing)
                    mail = self.message(outgoing) if raw is None else (outgoing.target, raw)
                    outcome, smtp = self._send_on(smtp, mail)
                    outcomes[index] = outcome
                    if (
                        smtp is None
                        and isinstance(outcome, RetryLater)
                        and outcome.why.startswith(_NO_SESSION)
                    ):
                        return  # cannot connect: the other sessions carry on
            finally:
                if smtp is not None:
                    _quit(smtp)

        sessions = max(1, min(self.options.smtp.sessions, len(messages)))
        await asyncio.gather(*(asyncio.to_thread(session) for _ in range(sessions)))
        return [outcome or RetryLater("not sent: no SMTP session could be opened") for outcome in outcomes]

    def message(self, outgoing: Outgoing) -> EmailMessage:
        return message(self.options, outgoing)

    def _send_on(
        self, smtp: smtplib.SMTP | None, mail: EmailMessage | tuple[str, bytes]
    ) -> tuple[Outcome, smtplib.SMTP | None]:
        """Send ``mail`` on ``smtp`` (opened if None; reopened once if the server had closed it);
        the outcome and the session to go on with (None: none is open)."""
        reused = smtp is not None
        try:
            if smtp is None:
                smtp = _connect(self.options.smtp)
        except (smtplib.SMTPException, OSError) as failed:
            return RetryLater(f"{_NO_SESSION}: {type(failed).__name__}: {failed}"), None
        try:
            if isinstance(mail, EmailMessage):
                smtp.send_message(mail)
            else:
                smtp.sendmail(self.raw.envelope_from, [mail[0]], mail[1])
        except smtplib.SMTPServerDisconnected:
            smtp.close()
            if reused:  # closed while idle (a server's timeout): once more on a new connection
                return self._send_on(None, mail)
            return RetryLater("SMTP: the server closed the connection"), None
        except smtplib.SMTPRecipientsRefused as refused:
            [(code, answer)] = list(refused.recipients.values())
            return _answer(code, answer), smtp
        except smtplib.SMTPResponseException as failed:
            return _answer(failed.smtp_code, failed.smtp_error), smtp
        except (smtplib.SMTPException, OSError) as lost:
            smtp.close()
            return RetryLater(f"SMTP: {type(lost).__name__}: {lost}"), None
        return Delivered(self.options.now()), smtp


_NO_SESSION = "SMTP: cannot connect"


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _connect(settings: Smtp) -> smtplib.SMTP:
    if settings.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _answer(code: int, answer: bytes | str) -> Outcome:
    words = answer.decode(errors="replace") if isinstance(answer, bytes) else answer
    why = f"SMTP {code} {words}"[:500]
    return GiveUp(why) if 500 <= code < 600 else RetryLater(why)
