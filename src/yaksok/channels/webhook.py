"""Webhooks signed per Standard Webhooks, sent by a lean asyncio HTTP/1.1 client.

Each message is a POST with ``webhook-id`` (the same on every attempt), ``webhook-timestamp``
and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the
``whsec_`` secret). Responses are read with httptools (the parser uvicorn uses). Why not a
client library: docs/benchmarks.md, "Which HTTP client": on the same webhooks and receiver
(`yaksok bench fanout --compare-clients`) this sender needs 2.4x less CPU per delivery than the
best candidate (pyreqwest), 5-6x less than aiohttp and ~35x less than niquests.

Messages to one receiver (scheme, host, port) share up to ``connections`` keep-alive
connections, kept open from one batch to the next (for up to ``KEEP_IDLE`` seconds); each
connection carries up to ``pipeline`` requests ahead of their answers and sends the next ones
from within the parser's callback, without a task switch. The request's bytes are prebuilt per
receiver and body: only the id and the signature are made per message. Before connecting, the
host is resolved and every address checked against server-side request forgery
(``domain.subscription.refusal``), and the connection goes to the address checked, so a name
cannot be re-pointed in between.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import email.utils
import functools
import hashlib
import hmac
import secrets
import socket
import ssl
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

import httptools

from yaksok.channels.outbound import Outgoing, Transport, TransportOptions
from yaksok.domain import codes
from yaksok.domain.delivery import Delivered, GiveUp, Outcome, RetryLater
from yaksok.domain.errors import InvalidInput
from yaksok.domain.subscription import IPNetwork, refusal, webhook_url

SECRET_PREFIX = "whsec_"
# An idle connection is reused for this long at most: receivers close idle keep-alive connections
# after a few seconds (uvicorn after 5), and a request written as one closes would be lost.
KEEP_IDLE = 1.0


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value."""
    return "v1," + _signed(secret, message_id.encode(), timestamp, body).decode()


def _signed(secret: str, message_id: bytes, timestamp: int, body: bytes) -> bytes:
    """The signature after ``v1,``; several secrets (space-separated, during a rotation) sign
    each, and their signatures are joined as Standard Webhooks lists them: ``a v1,b``."""
    if " " in secret:
        return b" v1,".join(_signed(each, message_id, timestamp, body) for each in secret.split())
    return base64.b64encode(
        hmac.digest(_key(secret), b"%s.%d.%s" % (message_id, timestamp, body), hashlib.sha256)
    )


@functools.lru_cache(maxsize=4096)
def _key(secret: str) -> bytes:
    """A secret's key bytes, decoded once per secret rather than once per message of a fan-out."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def resolved_addresses(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def check_addresses(host: str, addresses: Sequence[str], allow: Sequence[IPNetwork]) -> None:
    for address in addresses:
        why = refusal(address, allow)
        if why is not None:
            raise InvalidInput(
                f"webhooks are not sent to {host}: {why} (see YAKSOK_WEBHOOK_ALLOW_HOSTS)",
                code=codes.SUBSCRIPTION_TARGET_REFUSED,
            )


class WebhookTransport(Transport):
    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self._targets: dict[str, tuple[tuple[str, str, int], bytes]] = {}
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}  # kept-alive, by receiver
        self._sending: dict[tuple[str, str, int], list[_Receiver]] = {}  # batches on the wire, oldest first
        self._one_at_a_time: set[tuple[str, str, int]] = set()  # receivers that mishandled a pipeline

    def check_target(self, target: str) -> str:
        host, port, _ = webhook_url(target)
        try:
            addresses = resolved_addresses(host, port)
        except OSError as exc:
            raise InvalidInput(
                f"the host of {target[:80]!r} cannot be resolved: {exc}", code=codes.SUBSCRIPTION_URL_INVALID
            ) from None
        check_addresses(host, addresses, self.options.allow)
        return target

    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(messages)
        receivers: dict[tuple[str, str, int], list[int]] = {}
        for index, message in enumerate(messages):
            try:
                receiver, _ = self._target(message.target)
            except InvalidInput as exc:
                outcomes[index] = GiveUp(str(exc))
                continue
            receivers.setdefault(receiver, []).append(index)
        await asyncio.gather(
            *(self._send(receiver, indexes, messages, outcomes) for receiver, indexes in receivers.items())
        )
        return [outcome or RetryLater("not sent") for outcome in outcomes]

    def _target(self, url: str) -> tuple[tuple[str, str, int], bytes]:
        """(scheme, host, port) and the request line with the Host header, cached per URL."""
        known = self._targets.get(url)
        if known is None:
            host, port, path = webhook_url(url)
            scheme = url.split(":", 1)[0].lower()
            head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: yaksok\r\n"
            known = self._targets[url] = ((scheme, host, port), head.encode())
        return known

    async def _send(
        self,
        receiver: tuple[str, str, int],
        indexes: list[int],
        messages: Sequence[Outgoing],
        outcomes: list[Outcome | None],
    ) -> None:
        group = _Receiver(self, receiver, indexes, messages, outcomes)
        idle, sending = self._idle.setdefault(receiver, []), self._sending.setdefault(receiver, [])
        kept = group.reuse(idle, sending)
        sending.append(group)
        try:
            if kept < group.wanted():
                await self._connect(receiver, group, group.wanted() - kept)
            await group.finish(idle)
        finally:
            sending.remove(group)
        for later in sending:  # one that counted on this batch's connections, which may have failed
            later.cap = self.options.connections - sum(g.held() for g in sending if g is not later)
            if later.take_peek() and later.held() < later.wanted():
                await self._connect(receiver, later, later.wanted() - later.held())
            break

    def successor(self, group: _Receiver) -> _Receiver | None:
        """The oldest other batch to the same receiver with messages not yet sent."""
        for later in self._sending.get(group.key, ()):
            if later is not group and later.take_peek():
                return later
        return None

    async def _connect(self, receiver: tuple[str, str, int], group: _Receiver, more: int) -> None:
        scheme, host, port = receiver
        group.opening += more  # counted from now: a batch that comes while the host is resolved sees them
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = [str(info[4][0]) for info in infos]
            check_addresses(host, addresses, self.options.allow)  # again: DNS may have changed
        except InvalidInput as exc:
            group.give_up(str(exc), answer=GiveUp(str(exc)))
        except OSError as exc:
            group.give_up(f"cannot resolve {host}: {exc}")
        else:
            tls = ssl.create_default_context() if scheme == "https" else None
            await group.connect(addresses[0], port, tls, host if tls else None, more)
        finally:
            group.opening -= more

    async def reconnect(self, group: _Receiver) -> None:
        """A connection in place of one the receiver closed; the caller counted it in ``opening``."""
        try:
            if group.take_peek():
                await self._connect(group.key, group, 1)
        finally:
            group.opening -= 1

    def depth(self, receiver: tuple[str, str, int]) -> int:
        """How many requests may be on one connection to ``receiver`` before its first answer."""
        return 1 if receiver in self._one_at_a_time else max(1, self.options.pipeline)

    def one_at_a_time(self, receiver: tuple[str, str, int]) -> None:
        """No more pipelining to ``receiver`` (for as long as this transport lives)."""
        self._one_at_a_time.add(receiver)

    def head(self, target: str, length: int) -> bytes:
        """A request's bytes up to the ``webhook-id`` header's value."""
        _, head = self._target(target)
        return b"%sContent-Type: application/json\r\nContent-Length: %d\r\nwebhook-id: " % (head, length)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


class _Receiver:
    """The messages of one batch for one receiver, sent over a few keep-alive connections."""

    def __init__(
        self,
        transport: WebhookTransport,
        key: tuple[str, str, int],
        indexes: list[int],
        messages: Sequence[Outgoing],
        outcomes: list[Outcome | None],
    ) -> None:
        self.transport = transport
        self.key = key
        self.cap = transport.options.connections
        self.opening = 0  # connections being opened for this batch
        self.queue = indexes
        self.next = 0
        self.left = len(indexes)
        self.messages = messages
        self.outcomes = outcomes
        self.timestamp = int(time.time())
        self.between = b"\r\nwebhook-timestamp: %d\r\nwebhook-signature: v1," % self.timestamp
        self.heads: dict[tuple[str, int], bytes] = {}
        self.loop = asyncio.get_running_loop()
        self.finished = self.loop.create_future()
        self.connections: set[_Connection] = set()
        self.now = transport.options.now
        self.stamped_at = -1.0
        self.stamp = Delivered(self.now())
        self.broken = ""  # why the receiver is given up on for this batch, once it is

    def held(self) -> int:
        """Connections carrying this batch's messages, or being opened for it."""
        return len(self.connections) + self.opening

    def wanted(self) -> int:
        """How many connections this batch may have: batches to the same receiver share ``connections``."""
        return min(self.cap, len(self.queue))

    def take(self) -> int:
        """The next message's index, or -1 when none is left to send."""
        if self.next >= len(self.queue) or self.broken:
            return -1
        index = self.queue[self.next]
        self.next += 1
        return index

    def take_peek(self) -> bool:
        return self.next < len(self.queue) and not self.broken

    def put_back(self, indexes: Sequence[int]) -> None:
        """Messages a receiver closed the connection before reading: sent again, next."""
        if self.broken:
            for index in indexes:
                self.answered(index, RetryLater(self.broken))
            return
        self.queue[self.next : self.next] = indexes

    def request(self, index: int) -> bytes:
        message = self.messages[index]
        key = (message.target, len(message.body))
        head = self.heads.get(key)
        if head is None:
            head = self.heads[key] = self.transport.head(*key)
        message_id = message.id.encode()
        signed = _signed(message.secret, message_id, self.timestamp, message.body)
        return b"".join((head, message_id, self.between, signed, b"\r\n\r\n", message.body))

    def delivered(self) -> Delivered:
        """Delivered now: one outcome per millisecond, shared by the answers read within it."""
        tick = self.loop.time()
        if tick - self.stamped_at >= 0.001:
            self.stamped_at, self.stamp = tick, Delivered(self.now())
        return self.stamp

    def answered(self, index: int, outcome: Outcome) -> None:
        self.outcomes[index] = outcome
        self.left -= 1
        if self.left == 0 and not self.finished.done():
            self.finished.set_result(None)

    def give_up(self, why: str, answer: Outcome | None = None) -> None:
        """Answer every message not yet sent with ``answer`` (``RetryLater(why)`` unless given):
        the receiver failed."""
        self.broken = why
        while self.next < len(self.queue):
            self.answered(self.queue[self.next], answer or RetryLater(why))
            self.next += 1

    def reuse(self, idle: list[_Connection], sending: list[_Receiver]) -> int:
        """Send on kept-alive connections to this receiver first, idle ones of the batches still on
        the wire too; how many were taken. Their busy ones come over as they finish with their own
        batch, so this one wants fewer new connections by as many."""
        now, taken = self.loop.time(), 0
        for earlier in sending:
            for connection in list(earlier.connections):
                if taken < self.wanted() and not connection.in_flight and connection.reusable(now):
                    earlier.connections.discard(connection)
                    connection.adopt(self)
                    taken += 1
            self.cap -= earlier.held()
        while idle and taken < self.wanted():
            connection = idle.pop()
            if connection.reusable(now):
                connection.adopt(self)
                taken += 1
            else:
                connection.close()
        return taken

    async def connect(
        self, address: str, port: int, tls: ssl.SSLContext | None, server_name: str | None, more: int
    ) -> None:
        """Open ``more`` connections for this batch."""
        timeout = self.transport.options.timeout

        async def connect() -> None:
            try:
                async with asyncio.timeout(timeout):
                    await self.loop.create_connection(
                        lambda: _Connection(self), address, port, ssl=tls, server_hostname=server_name
                    )
            except (OSError, TimeoutError) as exc:
                self.give_up(f"cannot connect to {address}:{port}: {exc or 'timed out'}")

        await asyncio.gather(*(connect() for _ in range(more)))

    async def finish(self, idle: list[_Connection]) -> None:
        """Wait for every answer, then keep the connections that may carry the next batch."""
        if self.left:
            watchdog = self.loop.create_task(self._watch(self.transport.options.timeout))
            try:
                await self.finished
            finally:
                watchdog.cancel()
        now = self.loop.time()
        for connection in list(self.connections):
            if not connection.in_flight and connection.reusable(now):
                idle.append(connection)
            else:
                connection.close()

    async def _watch(self, timeout: float) -> None:
        """Abort requests unanswered for ``timeout`` seconds; a receiver that hangs is given up on
        for this batch (its messages are retried later), so it delays no one else for longer."""
        while True:
            await asyncio.sleep(min(timeout, 1.0))
            now = self.loop.time()
            for connection in list(self.connections):
                if connection.in_flight and now - connection.waiting_since > timeout:
                    self.give_up(f"no answer within {timeout:g} s")
                    connection.abort()


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a receiver, with up to ``WebhookTransport.depth`` requests on
    it before their answers (HTTP/1.1 pipelining: fewer system calls and idle turns on both
    sides, docs/operations.md "Webhook delivery"). A receiver that closes with requests
    unanswered, or stops answering, gets one request at a time from then on."""

    def __init__(self, receiver: _Receiver) -> None:
        self.receiver = receiver
        self.parser = httptools.HttpResponseParser(self)
        self.socket: asyncio.Transport | None = None
        self.in_flight: collections.deque[int] = collections.deque()  # sent, answers due in this order
        self.waiting_since = 0.0  # when the oldest request in flight began to wait for its answer
        self.idle_since = 0.0
        self.keep_alive = True
        self.retry_after: bytes | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.socket = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport
        self.adopt(self.receiver)

    def adopt(self, receiver: _Receiver) -> None:
        """Carry ``receiver``'s messages from now on."""
        self.receiver = receiver
        receiver.connections.add(self)
        self.send_next()

    def reusable(self, now: float) -> bool:
        """Open, kept alive by the receiver, and not idle for long."""
        open_ = self.socket is not None and not self.socket.is_closing()
        return open_ and self.keep_alive and (bool(self.in_flight) or now - self.idle_since < KEEP_IDLE)

    def send_next(self) -> None:
        """Fill the pipeline from this batch; once it has nothing left for this connection, go on
        with the next batch to the same receiver, or wait idle."""
        assert self.socket is not None
        receiver = self.receiver
        room = receiver.transport.depth(receiver.key) - len(self.in_flight)
        requests = []
        while room > 0 and (index := receiver.take()) >= 0:
            self.in_flight.append(index)
            requests.append(receiver.request(index))
            room -= 1
        if requests:
            if len(self.in_flight) == len(requests):
                self.waiting_since = receiver.loop.time()
            self.socket.write(requests[0] if len(requests) == 1 else b"".join(requests))
            return
        if self.in_flight:
            return  # answers still to come on this connection
        later = receiver.transport.successor(receiver)
        if later is not None:  # the next batch to this receiver goes on without a pause
            receiver.connections.discard(self)
            self.adopt(later)
            return
        self.idle_since = receiver.loop.time()  # kept for the next batch, or closed once this one ends

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._lost(f"malformed response: {exc}")
            self.abort()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"retry-after":
            self.retry_after = value

    def on_message_complete(self) -> None:
        if not self.in_flight:
            return
        index = self.in_flight.popleft()
        status = self.parser.get_status_code()
        receiver = self.receiver
        if 200 <= status < 300:
            receiver.answered(index, receiver.delivered())
        else:
            receiver.answered(index, outcome(status, self.retry_after, receiver.now()))
        self.retry_after = None
        self.keep_alive = self.parser.should_keep_alive()
        if self.keep_alive:
            self.waiting_since = receiver.loop.time()
            if len(self.in_flight) <= receiver.transport.depth(receiver.key) // 2:
                self.send_next()  # refilled once half is answered: requests go out in groups, a write each
            return
        if self.in_flight:  # RFC 9112 §9.6: a server closing after this answer read none of them
            receiver.transport.one_at_a_time(receiver.key)
            receiver.put_back(list(self.in_flight))
            self.in_flight.clear()
        self.close()
        if receiver.take_peek():
            receiver.opening += 1  # counted at once: the batch is not left without a connection
            receiver.loop.create_task(receiver.transport.reconnect(receiver))

    def connection_lost(self, exc: Exception | None) -> None:
        self.receiver.connections.discard(self)
        self._lost(f"connection lost: {exc or 'closed by the receiver'}")
        if not self.receiver.held() and self.receiver.left:
            self.receiver.give_up("every connection was closed")

    def _lost(self, why: str) -> None:
        """The requests in flight may or may not have been read: each is tried again later, with
        its id (receivers de-duplicate); the receiver gets no more pipelines if there were several."""
        if len(self.in_flight) > 1:
            self.receiver.transport.one_at_a_time(self.receiver.key)
        while self.in_flight:
            self.receiver.answered(self.in_flight.popleft(), RetryLater(why))

    def close(self) -> None:
        if self.socket is not None and not self.socket.is_closing():
            self.socket.close()

    def abort(self) -> None:
        if self.socket is not None:
            self.socket.abort()


def outcome(status: int, retry_after: bytes | None, at: datetime) -> Outcome:
    """What an HTTP answer means for a webhook: 2xx delivered, 410 gone for good, else retry."""
    if 200 <= status < 300:
        return Delivered(at)
    if status == 410:
        return GiveUp("410 Gone: the receiver asked for no more webhooks", disable_endpoint=True)
    return RetryLater(f"HTTP {status}", after=retry_after_wait(retry_after))


def retry_after_wait(raw: bytes | None) -> timedelta | None:
    """A Retry-After header's wait: whole seconds or an HTTP date; None when absent or unreadable."""
    if raw is None:
        return None
    text = raw.decode("latin-1").strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        at = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(at - datetime.now(at.tzinfo), timedelta(0))
