"""``yaksok worker`` processes delivering one notice's webhooks from one PostgreSQL schema.

Two workers at once deliver every webhook exactly once; a worker killed with ``kill -9`` in the
middle of a fan-out loses nothing: once restarted, every delivery completes (some twice, with the
same ``webhook-id``). A receiver on 127.0.0.1 in this process records every request, and every
one is verified with the ``standardwebhooks`` package.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from real_processes import YAKSOK, database_url
from standardwebhooks.webhooks import Webhook

from yaksok.config import Settings
from yaksok.domain.commands import Subscribe, WriteNotice
from yaksok.domain.delivery import delivery_id
from yaksok.domain.notice import NoticeKind
from yaksok.services import delivery
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

SUBSCRIBERS = 2000
WAIT = 20.0  # seconds: the most a fan-out may take to complete


@dataclass
class Receiver:
    """Webhooks received: (headers, body) per request; requests after ``hold_after`` wait for
    ``release`` before they are answered."""

    url: str = ""
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hold_after: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> Counter[str]:
        with self.lock:
            return Counter(headers["webhook-id"] for headers, _ in self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with box.lock:
                box.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                held = box.hold_after is not None and len(box.received) > box.hold_after
            if held:
                box.release.wait(WAIT)
            try:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the worker that sent it was killed

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # every worker connection at once

    server = Server(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/yaksok"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    box.release.set()
    server.shutdown()
    server.server_close()


class Worker:
    """``yaksok worker`` as a real process, in its own process group."""

    def __init__(self, database_url: str, log: Path, lease: float) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("YAKSOK_")}
        env.update(
            YAKSOK_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
            YAKSOK_DELIVERY_CONNECTIONS="16",
            YAKSOK_DELIVERY_INTERVAL="0.2",
            YAKSOK_DELIVERY_LEASE=str(lease),
            PYTHONUNBUFFERED="1",  # its start-up line reaches the log at once
        )
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*YAKSOK, "worker", "--db", database_url],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def kill(self) -> None:
        """``kill -9`` of the worker's whole process group."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(WAIT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Fanout:
    rt: Runtime
    database_url: str
    secrets: dict[str, str]  # webhook-id: the subscription's secret


@pytest.fixture
def fanout(postgresql_store: Store, receiver: Receiver) -> Fanout:
    """SUBSCRIBERS webhook subscriptions to the receiver, on a fresh PostgreSQL schema."""
    rt = Runtime(store=postgresql_store)
    options = delivery.transport_options(
        Settings(database_url="unused", webhook_allow_hosts=("127.0.0.1",)), rt
    )
    made = delivery.subscribe_many(
        rt, [Subscribe(channel="webhook", target=receiver.url)] * SUBSCRIBERS, options
    )
    return Fanout(rt, database_url(postgresql_store.engine), {s.id: s.secret for s in made})


def publish(fanout: Fanout) -> tuple[str, dict[str, str]]:
    """One notice to every subscriber: its id, and the secret to verify each webhook-id with."""
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "Pre-orders open", "ko": "예약 판매 시작"},
        channels=("board", "webhook"),
        publish_now=True,
    )
    notice = create_notice(fanout.rt, command)
    return notice.id, {delivery_id(notice.id, s): secret for s, secret in fanout.secrets.items()}


def wait_for(what: str, done: Callable[[], bool], logs: list[Path]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} within {WAIT} s; logs: " + "\n".join(log.read_text()[-2000:] for log in logs)
            )
        time.sleep(0.05)  # polling for the workers' progress, not waiting for time to pass


def verify_every_request(receiver: Receiver, expected: dict[str, str]) -> None:
    with receiver.lock:
        received = list(receiver.received)
    for headers, body in received:
        event = Webhook(expected[headers["webhook-id"]]).verify(body, headers)
        assert event["type"] == "notice.published"


def test_two_workers_deliver_every_webhook_once(fanout: Fanout, receiver: Receiver, tmp_path: Path) -> None:
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    workers = [Worker(fanout.database_url, log, lease=60) for log in logs]
    try:
        # Both running before the notice: a worker still importing when the other has delivered
        # everything would be interrupted mid-import, which is not what this test is about.
        wait_for(
            "the workers did not start",
            lambda: all("yaksok worker on" in log.read_text() for log in logs),
            logs,
        )
        _, expected = publish(fanout)
        wait_for("not every webhook arrived", lambda: len(receiver.ids()) >= SUBSCRIBERS, logs)
        for worker in workers:
            worker.stop()
    finally:
        for worker in workers:
            worker.stop()

    ids = receiver.ids()
    assert set(ids) == set(expected)
    assert [id_ for id_, times in ids.items() if times > 1] == []
    verify_every_request(receiver, expected)
    for log in logs:
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_a_worker_killed_mid_fan_out_loses_nothing_once_restarted(
    fanout: Fanout, receiver: Receiver, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    receiver.hold_after = SUBSCRIBERS // 5  # answers stop here: the kill lands mid-fan-out
    worker = Worker(fanout.database_url, log, lease=3)
    try:
        notice_id, expected = publish(fanout)
        wait_for("the fan-out did not begin", lambda: sum(receiver.ids().values()) > SUBSCRIBERS // 5, [log])
        worker.kill()
        receiver.release.set()
        unanswered = SUBSCRIBERS - len(receiver.ids())
        assert unanswered > 0, "the fan-out ended before the kill"

        worker = Worker(fanout.database_url, log, lease=3)
        wait_for(
            "not every webhook arrived after the restart", lambda: len(receiver.ids()) >= SUBSCRIBERS, [log]
        )
        wait_for(
            "not every delivery was recorded",
            lambda: delivery.figures(fanout.rt, notice_id).delivered == SUBSCRIBERS,
            [log],
        )
    finally:
        worker.stop()

    assert set(receiver.ids()) == set(expected)  # every one, under its own id every time
    verify_every_request(receiver, expected)
    figures = delivery.figures(fanout.rt, notice_id)
    assert (figures.delivered, figures.pending, figures.failed) == (SUBSCRIBERS, 0, 0)
