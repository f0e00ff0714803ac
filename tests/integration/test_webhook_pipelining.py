"""HTTP/1.1 pipelining of webhooks (``YAKSOK_DELIVERY_PIPELINE``) against raw TCP receivers on
127.0.0.1 that control exactly when they read and answer: requests really ride ahead, every
answer lands on its own message, and a receiver that closes or drops a pipeline loses nothing
and gets one request at a time from then on."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from standardwebhooks.webhooks import Webhook

from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.webhook import WebhookTransport, new_secret
from yaksok.domain.delivery import Delivered, Outcome, RetryLater
from yaksok.domain.subscription import allowed_networks

BODY = b'{"type":"notice.published"}'
NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
CLOSING = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 30\r\n\r\n"


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """One accepted connection: reads whole requests off it, however they arrived."""

    sock: socket.socket
    buffer: bytes = b""

    def read(self) -> Request | None:
        """The next request, or None once the sender has closed."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._more():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            if not self._more():
                return None
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Request(headers, body)

    def _more(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)


@dataclass
class RawReceiver:
    """Serves each connection with ``serve(peer, number)`` in a thread of its own."""

    serve: Callable[[Peer, int], None]
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def raw_receiver(serve: Callable[[Peer, int], None]) -> Iterator[RawReceiver]:
    receiver = RawReceiver(serve)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    receiver.port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            receiver.connections += 1
            sock.settimeout(5)
            thread = threading.Thread(target=_serve, args=(sock, receiver.connections), daemon=True)
            thread.start()

    def _serve(sock: socket.socket, number: int) -> None:
        with sock, suppress(OSError):  # the sender went away: nothing to serve
            receiver.serve(Peer(sock), number)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield receiver
    finally:
        stop.set()
        acceptor.join()
        listener.close()


def deliver(url: str, count: int, *, pipeline: int, timeout: float = 3.0) -> tuple[list[Outcome], str, int]:
    """``count`` signed messages to ``url`` over one connection; the outcomes, the secret and the
    pipeline depth the transport keeps for that receiver afterwards."""
    options = TransportOptions(
        allow=allowed_networks(["127.0.0.1"]), connections=1, pipeline=pipeline, timeout=timeout
    )
    transport = WebhookTransport(options)
    secret = new_secret()
    messages = [Outgoing(f"msg_{i}", url, secret, BODY) for i in range(count)]

    async def run() -> list[Outcome]:
        try:
            return await transport.deliver_many(messages)
        finally:
            await transport.aclose()

    outcomes = asyncio.run(run())
    return outcomes, secret, transport.depth(("http", "127.0.0.1", int(url.split(":")[2].split("/")[0])))


def test_requests_ride_ahead_and_each_answer_lands_on_its_own_message() -> None:
    def four_before_any_answer(peer: Peer, _: int) -> None:
        # Answers nothing until four requests are in: without pipelining the sender would wait
        # for an answer and this receiver for a request, until the sender's timeout.
        while True:
            batch = [peer.read() for _ in range(4)]
            got = [request for request in batch if request is not None]
            receiver.requests.extend(got)
            peer.sock.sendall(
                b"".join(UNAVAILABLE if r.headers["webhook-id"] == "msg_5" else NO_CONTENT for r in got)
            )
            if len(got) < 4:
                return

    with raw_receiver(four_before_any_answer) as receiver:
        outcomes, secret, depth = deliver(receiver.url, 8, pipeline=4)

    assert [type(outcome) for outcome in outcomes] == [Delivered] * 5 + [RetryLater] + [Delivered] * 2
    assert isinstance(outcomes[5], RetryLater) and "503" in outcomes[5].why
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{i}" for i in range(8)]
    assert receiver.connections == 1 and depth == 4
    for request in receiver.requests:
        Webhook(secret).verify(request.body, request.headers)


def test_one_at_a_time_when_the_pipeline_is_set_to_one() -> None:
    rode_ahead: list[bool] = []

    def one_then_wait(peer: Peer, _: int) -> None:
        while (request := peer.read()) is not None:
            peer.sock.settimeout(0.2)  # a second request already here would have ridden ahead
            try:
                early = peer.sock.recv(1, socket.MSG_PEEK)
            except TimeoutError:
                early = b""
            peer.sock.settimeout(5)
            rode_ahead.append(bool(early or peer.buffer))
            receiver.requests.append(request)
            peer.sock.sendall(NO_CONTENT)

    with raw_receiver(one_then_wait) as receiver:
        outcomes, _, depth = deliver(receiver.url, 3, pipeline=1)

    assert all(isinstance(outcome, Delivered) for outcome in outcomes)
    assert rode_ahead == [False, False, False] and depth == 1


def test_a_receiver_that_closes_after_an_answer_gets_the_unread_requests_again_one_at_a_time() -> None:
    def first_connection_closes(peer: Peer, number: int) -> None:
        if number == 1:  # reads one request, answers it with close, never reads the rest
            request = peer.read()
            assert request is not None
            receiver.requests.append(request)
            peer.sock.sendall(CLOSING)
            peer.sock.shutdown(socket.SHUT_WR)  # a lingering close, as servers do: no reset
            while peer.sock.recv(65536):
                pass
            return
        while (request := peer.read()) is not None:
            receiver.requests.append(request)
            peer.sock.sendall(NO_CONTENT)

    with raw_receiver(first_connection_closes) as receiver:
        outcomes, _, depth = deliver(receiver.url, 6, pipeline=4)

    assert all(isinstance(outcome, Delivered) for outcome in outcomes), outcomes
    assert [r.headers["webhook-id"] for r in receiver.requests] == [f"msg_{i}" for i in range(6)]
    assert receiver.connections == 2
    assert depth == 1


def test_a_pipeline_dropped_unanswered_is_retried_later_with_the_same_ids() -> None:
    def reads_then_drops(peer: Peer, _: int) -> None:
        for _ in range(3):
            request = peer.read()
            if request is not None:
                receiver.requests.append(request)
        peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    with raw_receiver(reads_then_drops) as receiver:
        outcomes, _, depth = deliver(receiver.url, 3, pipeline=4)

    assert all(isinstance(outcome, RetryLater) for outcome in outcomes), outcomes
    assert all("connection lost" in outcome.why or "every connection" in outcome.why for outcome in outcomes)  # type: ignore[union-attr]
    assert [r.headers["webhook-id"] for r in receiver.requests] == ["msg_0", "msg_1", "msg_2"]
    assert depth == 1


def test_a_receiver_that_stops_answering_mid_pipeline_is_given_up_on_for_the_batch() -> None:
    def answers_one_then_hangs(peer: Peer, _: int) -> None:
        request = peer.read()
        assert request is not None
        receiver.requests.append(request)
        peer.sock.sendall(NO_CONTENT)
        while peer.read() is not None:  # reads the rest, answers nothing
            pass

    with raw_receiver(answers_one_then_hangs) as receiver:
        outcomes, _, depth = deliver(receiver.url, 4, pipeline=4, timeout=1.0)

    assert isinstance(outcomes[0], Delivered)
    assert all(isinstance(outcome, RetryLater) for outcome in outcomes[1:]), outcomes
    assert depth == 1
