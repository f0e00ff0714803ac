"""Two ``yaksok serve`` processes on one database, raced by clients of both at once.

On one PostgreSQL schema and on one SQLite file: the servers start together (their migrations
take turns), every race has one winner and 409s with stable codes, nothing answers 5xx, the
scheduler publishes a due notice once, and the ledger holds no duplicate and verifies, from the
database and over HTTP, after both servers signed their shutdown checkpoints.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from real_processes import YAKSOK, database_url, free_port, run_cli

from yaksok.domain.ledger import LedgerEntry
from yaksok.services import ledger
from yaksok.services.auth import create_token
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

pytestmark = pytest.mark.e2e

CLIENTS = 8
WAIT = 20.0  # seconds: the most a server may take to start, stop or publish a due notice


class Server:
    """``yaksok serve`` as a real process on a free port, with its scheduler."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = log
        env = {key: value for key, value in os.environ.items() if not key.startswith("YAKSOK_")}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [*YAKSOK, "serve", "--db", database_url, "--port", self.url.rsplit(":", 1)[1]],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"yaksok serve exited: {self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/ledger?limit=1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)  # polling for the process to listen, not waiting for time to pass
        pytest.fail(f"yaksok serve did not answer within {WAIT} s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def servers(bare_engine: sa.Engine, tmp_path: Path) -> Iterator[list[Server]]:
    """Two servers started at once on one empty database (they migrate it together)."""
    url = database_url(bare_engine)
    started = [Server(url, tmp_path / f"serve-{i}.log") for i in range(2)]
    try:
        for server in started:
            server.wait_until_up()
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def operator(bare_engine: sa.Engine) -> Iterator[Runtime]:
    """This test's own runtime on the servers' database, as an operator's CLI would be."""
    store = Store.connect(database_url(bare_engine), migrate=False)
    yield Runtime(store=store)
    store.close()


def race(
    servers: list[Server], headers: dict[str, str], send: Callable[[httpx.Client, int], httpx.Response]
) -> Counter[str]:
    """``send`` from CLIENTS threads released together, alternating between the two servers;
    outcomes: ``ok`` for a 2xx, the problem's code for a 409, else status and body."""
    start = threading.Barrier(CLIENTS)
    outcomes: list[str] = []

    def attempt(index: int) -> None:
        server = servers[index % len(servers)]
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=WAIT) as client:
            start.wait()
            response = send(client, index)
        if response.is_success:
            outcomes.append("ok")
        elif response.status_code == 409:
            outcomes.append(str(response.json()["code"]))
        else:
            outcomes.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive(), "a client is stuck"
    return Counter(outcomes)


def _entries(rt: Runtime) -> list[LedgerEntry]:
    with rt.store.read() as tx:
        return list(tx.ledger.entries())


def _published(rt: Runtime, notice_id: str) -> int:
    return sum(1 for e in _entries(rt) if e.kind == "notice.published" and e.data["notice"] == notice_id)


def test_two_servers_on_one_database_let_each_race_have_one_winner(
    servers: list[Server], operator: Runtime, bare_engine: sa.Engine
) -> None:
    admin = {"Authorization": f"Bearer {create_token(operator, 'admin').secret}"}
    milestone = "ipad.preorder"
    launch: dict[str, Any] = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul"}

    created = race(servers, admin, lambda api, _: api.post("/launches", json=launch))
    assert created == {"ok": 1, "launch.exists": CLIENTS - 1}

    key = {"key": "preorder", "kind": "preorder_opens", "titles": {"en": "Pre-orders"}}
    added = race(servers, admin, lambda api, _: api.post("/launches/ipad/milestones", json=key))
    assert added == {"ok": 1, "milestone.exists": CLIENTS - 1}

    soon = datetime.now(UTC) + timedelta(days=30)

    def revise(api: httpx.Client, index: int) -> httpx.Response:
        at = (soon + timedelta(days=index)).isoformat()
        body = {"time": at, "precision": "exact", "reason": f"revision {index}"}
        return api.post(f"/milestones/{milestone}/promises", json=body)

    assert race(servers, admin, revise) == {"ok": CLIENTS}
    versions = [e.data["version"] for e in _entries(operator) if e.kind.startswith("promise.")]
    assert sorted(versions) == list(range(1, CLIENTS + 1))

    draft = {"kind": "general", "titles": {"en": "Draft"}, "launch": "ipad"}
    notice_id = httpx.post(f"{servers[0].url}/api/v1/notices", json=draft, headers=admin).json()["id"]
    published = race(servers, admin, lambda api, _: api.post(f"/notices/{notice_id}/publish"))
    assert published == {"ok": 1, "notice.immutable": CLIENTS - 1}
    assert _published(operator, notice_id) == 1

    cancel = {"reason": "supply"}
    cancelled = race(servers, admin, lambda api, _: api.post(f"/milestones/{milestone}/cancel", json=cancel))
    assert cancelled == {"ok": 1, "milestone.cancelled": CLIENTS - 1}

    # Both servers' schedulers (on SQLite both lead) reach for the same due notice.
    due = {**draft, "publish_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()}
    scheduled_id = httpx.post(f"{servers[1].url}/api/v1/notices", json=due, headers=admin).json()["id"]
    deadline = time.monotonic() + WAIT
    while _published(operator, scheduled_id) == 0:
        assert time.monotonic() < deadline, "the scheduled notice was never published"
        time.sleep(0.05)  # polling for the scheduler's work, not waiting for time to pass

    for server in servers:
        verified = run_cli("ledger", "verify", server.url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    for server in servers:
        server.stop()  # both sign a checkpoint as they stop
        assert server.process.returncode == 0, server.log.read_text()[-3000:]
        assert "Traceback" not in server.log.read_text(), server.log.read_text()[-3000:]

    assert _published(operator, scheduled_id) == 1
    verification = ledger.verify_store(operator)
    assert verification.ok and verification.checkpoints_checked >= 1, verification.describe()
    verified = run_cli("ledger", "verify", database_url(bare_engine))
    assert verified.returncode == 0, verified.stdout + verified.stderr
