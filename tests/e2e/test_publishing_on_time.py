"""A real server process on the system clock publishes on time, and live clients hear at once.

The figures printed here (run with ``-s``) are the ones quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.services import notices
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

pytestmark = pytest.mark.e2e

WAIT = 15.0  # seconds: the most a server may take to start or stop

# The app as `yaksok serve` assembles it, without depending on the CLI's options. Event streams
# never end by themselves, and uvicorn waits for open responses before the app's shutdown: so the
# hub ends them as uvicorn's shutdown begins (the recipe proposed for `yaksok serve`).
SERVER = """
from functools import partial

from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app
from yaksok.web.server import run_server
from yaksok.workers import scheduler

settings = Settings.from_env()
rt = Runtime(store=Store.connect(settings.database_url))
app = create_app(rt, settings, background=[partial(scheduler.run, rt, settings)])
run_server(app, settings.host, settings.port, log_level="warning")
"""


@dataclass
class ServeProcess:
    url: str
    rt: Runtime  # this test's own runtime on the same database, like an operator's CLI
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        assert process.poll() is None, "the server exited"
        try:
            httpx.get(f"{url}/ledger/checkpoints", timeout=1.0)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Runtime]:
    store = Store.connect(f"sqlite:///{tmp_path / 'yaksok.db'}")
    yield Runtime(store=store)
    store.close()


@pytest.fixture
def serve_process(database: Runtime, tmp_path: Path) -> Iterator[ServeProcess]:
    port = free_port()
    env = {
        **os.environ,
        "YAKSOK_DATABASE_URL": str(database.store.engine.url),
        "YAKSOK_HOST": "127.0.0.1",
        "YAKSOK_PORT": str(port),
    }
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-c", SERVER], env=env, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(url, process)
            yield ServeProcess(url, database, process)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
    log_text = (tmp_path / "server.log").read_text()
    assert process.returncode == 0 and "Traceback" not in log_text, log_text


def published(rt: Runtime, notice_id: str) -> Notice:
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
    assert notice is not None and notice.published_at is not None and notice.publish_at is not None
    return notice


def wait_for_publication(rt: Runtime, notice_id: str) -> Notice:
    deadline = time.monotonic() + WAIT
    while True:
        with rt.store.read() as tx:
            notice = tx.notices.get(notice_id)
        if notice is not None and notice.state is NoticeState.PUBLISHED:
            return notice
        assert time.monotonic() < deadline, "not published"
        time.sleep(0.05)


def next_notice_event(lines: Iterator[str]) -> dict[str, object]:
    for line in lines:
        if line.startswith("data: "):
            event: dict[str, object] = json.loads(line.removeprefix("data: "))
            return event
    raise AssertionError("the stream ended")


def test_a_scheduled_notice_goes_out_within_a_second_and_reaches_live_clients(
    serve_process: ServeProcess,
) -> None:
    rt = serve_process.rt
    with (
        httpx.Client(base_url=serve_process.url, timeout=WAIT) as client,
        client.stream("GET", "/events") as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == "retry: 3000"
        publish_at = datetime.now(UTC) + timedelta(seconds=1.5)
        notice = notices.create_notice(
            rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "On time"}, publish_at=publish_at)
        )

        event = next_notice_event(lines)
        arrived = datetime.now(UTC)

    stored = published(rt, notice.id)
    assert event["id"] == notice.id
    assert event["published_at"] == stored.published_at.isoformat()  # type: ignore[union-attr]
    lateness = (stored.published_at - publish_at).total_seconds()  # type: ignore[operator]
    after_time = (arrived - publish_at).total_seconds()
    after_publication = (arrived - stored.published_at).total_seconds()  # type: ignore[operator]
    print(
        f"\npublication lateness {lateness * 1000:.1f} ms; SSE frame arrived {after_time * 1000:.1f} ms "
        f"after publish_at ({after_publication * 1000:.1f} ms after publication)"
    )
    assert 0 <= lateness < 1.0
    assert after_time < 1.5


def test_a_notice_due_while_the_server_was_down_goes_out_at_start_up_saying_how_late(
    database: Runtime, request: pytest.FixtureRequest
) -> None:
    # Scheduled an hour ago for ten minutes ago: the server was down in between.
    an_hour_ago = Runtime(store=database.store, clock=SimulatedClock(datetime.now(UTC) - timedelta(hours=1)))
    publish_at = datetime.now(UTC) - timedelta(minutes=10)
    notice = notices.create_notice(
        an_hour_ago, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Late"}, publish_at=publish_at)
    )

    request.getfixturevalue("serve_process")  # its first tick, at start-up, publishes the notice
    stored = wait_for_publication(database, notice.id)

    assert stored.lateness is not None and stored.lateness >= timedelta(minutes=10)
    with database.store.read() as tx:
        [entry] = [e for e in tx.ledger.entries() if e.kind == "notice.published"]
    assert entry.data["lateness_seconds"] == round(stored.lateness.total_seconds(), 3)
    print(f"\npublished at start-up, {stored.lateness.total_seconds():.3f} s late (recorded in the ledger)")


def test_the_server_stops_promptly_with_a_live_client_connected(serve_process: ServeProcess) -> None:
    process = serve_process.process
    with (
        httpx.Client(base_url=serve_process.url, timeout=WAIT) as client,
        client.stream("GET", "/events") as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == "retry: 3000"
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert list(lines) == [""]  # the blank line closing the retry block, then a clean end
    assert process.wait(WAIT) == 0
    print(f"\nstopped {time.monotonic() - started:.2f} s after SIGINT with a live client connected")
