"""Acknowledged means durable: a notice published through the API survives ``kill -9``."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from real_processes import YAKSOK, free_port, run_cli

pytestmark = pytest.mark.e2e


class Server:
    """``yaksok serve`` as a real process on a free port."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [*YAKSOK, "serve", "--db", database_url, "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_up(log)

    def _wait_until_up(self, log: Path) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"yaksok serve exited with {self.process.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ledger?limit=1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"yaksok serve did not answer within 20 s: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        """``kill -9``: no shutdown handler, no flush, nothing but what was already durable."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'yaksok.db'}"


@pytest.fixture
def admin(database_url: str) -> dict[str, str]:
    created = run_cli("token", "create", "--role", "admin", "--db", database_url)
    assert created.returncode == 0, created.stderr
    return {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def test_a_published_notice_survives_kill_9(
    database_url: str, admin: dict[str, str], servers: list[Server], tmp_path: Path
) -> None:
    first = Server(database_url, tmp_path / "serve.log")
    servers.append(first)
    api = httpx.Client(base_url=f"{first.url}/api/v1", headers=admin, timeout=10)
    launch = {"slug": "ipad", "titles": {"ko": "아이패드", "en": "iPad"}, "zone": "Asia/Seoul"}
    assert api.post("/launches", json=launch).status_code == 201
    notice = {
        "kind": "general",
        "titles": {"ko": "사전 예약 안내", "en": "Pre-order notice"},
        "bodies": {"en": "Pre-orders open on 17 November at 10:00 KST."},
        "launch": "ipad",
        "publish_now": True,
    }
    published = api.post("/notices", json=notice)
    first.kill()  # the moment the 201 is in hand
    api.close()
    assert published.status_code == 201, published.text
    notice_id = published.json()["id"]

    second = Server(database_url, tmp_path / "serve.log")
    servers.append(second)
    after = httpx.get(f"{second.url}/api/v1/notices/{notice_id}", headers=admin, timeout=10)
    assert after.status_code == 200, after.text
    assert after.json()["state"] == "published"
    assert after.json()["titles"]["en"] == "Pre-order notice"

    verified = run_cli("ledger", "verify", second.url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    second.kill()
    verified = run_cli("ledger", "verify", database_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
