"""Acknowledged reservations survive ``kill -9`` of the server and its writer, mid-burst.

On a SQLite file and on a PostgreSQL schema: ``yaksok serve`` takes a burst of reservations from
32 clients at once; once several hundred are acknowledged the whole process group (server and
reservation writer) is killed with SIGKILL; a new server is started on the same database. Every
``201`` must then be there with its sequence, keys and sequences are unique and gapless, a
sequence acknowledged before a request was sent is below that request's, the cap holds, SQLite's
integrity check passes, the counts kept beside the reservations equal counting them, and the ledger
verifies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from real_processes import YAKSOK, database_url, free_port, open_preorder, run_cli

from yaksok.domain.figures import ReservationTally
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store.unit_of_work import Store

pytestmark = pytest.mark.e2e

REQUESTS = 2000
CLIENTS = 32
KILL_AFTER = 400  # acknowledgements
CAP = 150
SLUG = "crash"


class Server:
    """``yaksok serve`` in a process group of its own (it and its reservation writer)."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("YAKSOK_")}
        env["YAKSOK_PUBLIC_WRITES_PER_SECOND"] = "0"  # every client here is 127.0.0.1
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [*YAKSOK, "serve", "--db", database_url, "--port", self.url.rsplit(":", 1)[1]],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"yaksok serve exited: {log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/ledger?limit=1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.kill()
        pytest.fail(f"yaksok serve did not answer within 20 s: {log.read_text()[-3000:]}")

    def kill(self) -> None:
        """``kill -9`` of the server and its writer at once: nothing but what was durable."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass(frozen=True)
class Ack:
    key: str
    code: str
    sequence: int
    acks_before_sent: int  # how many acknowledgements the client held when it sent this request
    order: int  # its place among the acknowledgements


@pytest.fixture
def database(bare_engine: sa.Engine) -> Iterator[str]:
    url = database_url(bare_engine)
    open_preorder(url, SLUG, cap=CAP)
    yield url


def _burst(server: Server) -> tuple[list[Ack], set[str]]:
    """Reservations from ``CLIENTS`` threads until the server is killed; the acknowledged ones,
    and the keys of every request sent."""
    acks: list[Ack] = []
    sent: set[str] = set()
    lock = threading.Lock()
    requests = iter(range(REQUESTS))
    killed = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            while not killed.is_set():
                with lock:
                    index = next(requests, None)
                    if index is None:
                        return
                    key = f"burst-{index}"
                    sent.add(key)
                    before = len(acks)
                body = {"sku": "wifi-16", "quantity": 1, "contact": f"c{index}@example.com"}
                try:
                    answer = http.post(
                        f"/launches/{SLUG}/reservations", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                assert answer.status_code == 201, answer.text
                with lock:
                    made = answer.json()
                    acks.append(Ack(key, made["code"], made["sequence"], before, len(acks)))
                    if len(acks) == KILL_AFTER:
                        server.kill()
                        killed.set()

    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(CLIENTS):
            pool.submit(client)
    return acks, sent


def _stored(url: str) -> tuple[list[Reservation], ReservationTally, int]:
    """The launch's reservations; the counts kept beside them; the last one's place, as kept."""
    store = Store.connect(url, migrate=False)
    try:
        with store.read() as tx:
            stored = tx.reservations.for_launch(SLUG)
            return stored, tx.reservations.tally(SLUG), tx.reservations.ahead_of(stored[-1], same_sku=True)
    finally:
        store.close()


def test_every_acknowledged_reservation_survives_kill_9_of_the_server_and_its_writer(
    database: str, tmp_path: Path
) -> None:
    first = Server(database, tmp_path / "serve.log")
    try:
        acks, sent = _burst(first)
    finally:
        first.kill()
    assert len(acks) >= KILL_AFTER

    second = Server(database, tmp_path / "serve.log")
    try:
        stored, kept, ahead_of_last = _stored(database)
        by_key = {reservation.idempotency_key: reservation for reservation in stored}
        for ack in acks:
            assert (by_key[ack.key].code, by_key[ack.key].sequence) == (ack.code, ack.sequence)
        assert len(by_key) == len(stored)  # no key has two reservations
        assert set(by_key) <= sent
        assert sorted(r.sequence for r in stored) == list(range(1, len(stored) + 1))  # unique, gapless
        for ack in acks:  # a request sent after an acknowledgement comes after it in line
            later = [other.sequence for other in acks if other.acks_before_sent > ack.order]
            assert all(sequence > ack.sequence for sequence in later)
        assert sum(r.quantity for r in stored if r.state is ReservationState.QUEUED) <= CAP
        # The counts kept beside the reservations (tally, units held, places) committed with them.
        assert Counter(kept.by_state) == Counter(r.state for r in stored)
        held = sum(r.quantity for r in stored if r.state is ReservationState.QUEUED)
        assert dict(kept.units_held) == ({"wifi-16": held} if held else {})
        assert sum(kept.per_second.values()) == len(stored)
        assert ahead_of_last == sum(r.state is stored[-1].state for r in stored[:-1])

        # A retry after the crash answers the acknowledged reservation again, not a new one.
        retried = httpx.post(
            f"{second.url}/launches/{SLUG}/reservations",
            json={
                "sku": "wifi-16",
                "quantity": 1,
                "contact": f"c{acks[0].key.removeprefix('burst-')}@example.com",
            },
            headers={"Idempotency-Key": acks[0].key},
            timeout=10,
        )
        assert retried.status_code == 201, retried.text
        assert retried.json()["sequence"] == acks[0].sequence
    finally:
        second.kill()

    if database.startswith("sqlite"):
        with sqlite3.connect(database.removeprefix("sqlite:///")) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    verified = run_cli("ledger", "verify", database)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_server_whose_writer_dies_stops_so_that_it_is_restarted_whole(
    database: str, tmp_path: Path
) -> None:
    server = Server(database, tmp_path / "serve.log")
    try:
        writer = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
        os.kill(int(writer.stdout.split()[0]), signal.SIGKILL)

        # uvicorn shuts down gracefully, then exits by the SIGTERM it caught
        assert server.process.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        server.kill()
