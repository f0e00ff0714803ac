"""The fan-out bench's email sink: an aiosmtpd SMTP server that accepts, parses and counts mail.

Each message is parsed (``email`` package: its headers and MIME parts, the text part decoded) and
counted by its ``Message-ID`` (which yaksok makes from the delivery's id, the same on every
attempt): ``received`` and ``distinct``, and ``unparsed`` for a message without one, without a
recipient or without a text part. The counts are
served as JSON by ``GET /_count`` on a second port, as the webhook receiver serves its own. Run as
``python -m yaksok.bench.smtp_sink SMTP_PORT HTTP_PORT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from email import policy
from email.parser import BytesParser
from typing import Any

import uvloop
from aiosmtpd.smtp import SMTP

# The legacy policy: the whole message parsed (headers, MIME parts, the text part decoded), without
# the modern policy's header objects, which would make the sink, not the sender, the bench's limit.
_PARSER = BytesParser(policy=policy.compat32)


class Counter:
    """The SMTP handler: every message parsed, counted by Message-ID."""

    def __init__(self) -> None:
        self.received = 0
        self.unparsed = 0
        self.ids: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = _PARSER.parsebytes(envelope.content)
        message_id = parsed.get("Message-ID")
        self.received += 1
        texts = [part for part in parsed.walk() if part.get_content_type() == "text/plain"]
        if not message_id or not envelope.rcpt_tos or not texts or not texts[0].get_payload(decode=True):
            self.unparsed += 1
        else:
            self.ids.add(str(message_id))
        return "250 OK"

    def counts(self) -> dict[str, int]:
        return {"received": self.received, "distinct": len(self.ids), "unparsed": self.unparsed}


async def serve(smtp_port: int, http_port: int) -> None:
    counter = Counter()
    loop = asyncio.get_running_loop()
    await loop.create_server(
        lambda: SMTP(counter, hostname="127.0.0.1", data_size_limit=1 << 20), "127.0.0.1", smtp_port
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps(counter.counts()).encode()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", http_port)
    async with server:
        await server.serve_forever()


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at DEBUG/INFO
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(int(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
