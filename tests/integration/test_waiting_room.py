"""The waiting room through HTTP: join, confirm the code mailed to a real aiosmtpd server, the
status document, the fair opening, admissions and the reservations they allow."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from yaksok.cli import main
from yaksok.config import Settings
from yaksok.domain import shuffle
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.ledger import LedgerEntry
from yaksok.domain.waiting_room import CLOSED, ORDERED, REVEALED
from yaksok.services import ledger, waiting_room
from yaksok.services.auth import create_token
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

Headers = dict[str, str]
OPENS = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 in Seoul
PREQUEUE = "2010-11-02T09:00:00+09:00"


@dataclass
class Sink:
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 OK"

    def code_for(self, address: str) -> str:
        mail = [m for m in self.received if m["To"] == address][-1]
        body = mail.get_body(("plain",))
        assert body is not None
        found = re.search(r"^(\d{6})\s*$", body.get_content(), flags=re.MULTILINE)
        assert found is not None, body.get_content()
        return found.group(1)


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def app(rt: Runtime, sink: tuple[Sink, int]) -> Starlette:
    settings = Settings(
        database_url="unused",
        run_scheduler=False,
        smtp_host="127.0.0.1",
        smtp_port=sink[1],
        smtp_timeout=5.0,
        email_from="queue@yaksok.example",
        webhook_allow_hosts=("127.0.0.1",),  # the local beacon of the beacon tests
    )
    made = create_app(rt, settings)
    made.state.queue_status.refresh_every = 0  # the simulated clock moves; rebuild on every poll
    return made


@pytest.fixture
def admin(rt: Runtime) -> Headers:
    return {"Authorization": f"Bearer {create_token(rt, 'admin').secret}"}


def _launch(client: TestClient, admin: Headers, slug: str) -> None:
    body = {"slug": slug, "titles": {"en": "iPad"}, "zone": "Asia/Seoul", "skus": [{"code": "wifi-16"}]}
    assert client.post("/api/v1/launches", json=body, headers=admin).status_code == 201
    milestone = {"key": "preorder", "kind": "preorder_opens", "titles": {"en": "Pre-orders"}}
    made = client.post(f"/api/v1/launches/{slug}/milestones", json=milestone, headers=admin)
    promised = {"time": "2010-11-09T20:00", "precision": "exact"}
    response = client.post(f"/api/v1/milestones/{made.json()['id']}/promises", json=promised, headers=admin)
    assert response.status_code == 201, response.text


def _room(client: TestClient, admin: Headers, slug: str, **fields: Any) -> Any:
    body = {"enabled": True, "prequeue_opens": PREQUEUE, "admit_per_second": 1, "token_minutes": 10, **fields}
    return client.put(f"/api/v1/launches/{slug}/waiting-room", json=body, headers=admin)


@pytest.fixture
def room(client: TestClient, admin: Headers) -> str:
    _launch(client, admin, "ipad")
    response = _room(client, admin, "ipad")
    assert response.status_code == 200, response.text
    return "ipad"


def join(client: TestClient, contact: str, slug: str = "ipad") -> Any:
    response = client.post(f"/launches/{slug}/queue/join", json={"contact": contact})
    assert response.status_code == 201, response.text
    return response.json()


def confirm(client: TestClient, sink: Sink, contact: str, token: str) -> None:
    code = sink.code_for(contact)
    response = client.post("/launches/ipad/queue/confirm", json={"token": token, "code": code})
    assert response.status_code == 200, response.text


def reserve(client: TestClient, key: str, admission: str | None, slug: str = "ipad") -> Any:
    headers = {"Idempotency-Key": key}
    if admission is not None:
        headers["Admission-Token"] = admission
    body = {"sku": "wifi-16", "quantity": 1, "contact": f"{key}@example.com"}
    return client.post(f"/launches/{slug}/reservations", json=body, headers=headers)


@dataclass
class Opened:
    tickets: dict[str, tuple[int, str]]  # contact: (number, ticket)


@pytest.fixture
def opened(client: TestClient, room: str, clock: SimulatedClock, sink: tuple[Sink, int]) -> Opened:
    """Four visitors in the pre-queue (kim twice, park never confirmed); then the opening."""
    clock.advance_to(datetime(2010, 11, 3, tzinfo=UTC))
    tokens = {}
    for contact in ("kim@example.com", "lee@example.com", "choi@example.com", "kim@example.com"):
        joined = join(client, contact)
        assert joined["confirmed"] is False and joined["number"] is None
        confirm(client, sink[0], contact, joined["token"])
        tokens.setdefault(contact, joined["token"])
    join(client, "park@example.com")
    not_yet = client.get("/launches/ipad/queue/ticket", params={"token": tokens["lee@example.com"]})
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "waiting_room.not_numbered"
    clock.advance_to(OPENS)
    tickets = {}
    for contact, token in tokens.items():
        got = client.get("/launches/ipad/queue/ticket", params={"token": token})
        assert got.status_code == 200, got.text
        tickets[contact] = (got.json()["number"], got.json()["ticket"])
    return Opened(tickets)


def test_joining_before_the_pre_queue_opens_is_refused(client: TestClient, room: str) -> None:
    response = client.post("/launches/ipad/queue/join", json={"contact": "kim@example.com"})
    assert response.status_code == 409
    assert response.json()["code"] == "waiting_room.not_open"


def test_a_wrong_code_does_not_confirm_the_entry(
    client: TestClient, room: str, clock: SimulatedClock, sink: tuple[Sink, int]
) -> None:
    clock.advance_to(datetime(2010, 11, 3, tzinfo=UTC))
    joined = join(client, "kim@example.com")
    right = sink[0].code_for("kim@example.com")
    wrong = "000000" if right != "000000" else "111111"
    response = client.post("/launches/ipad/queue/confirm", json={"token": joined["token"], "code": wrong})
    assert response.status_code == 422 and response.json()["code"] == "waiting_room.code_invalid"


def test_the_pre_queue_is_one_place_per_confirmed_contact_shuffled_as_the_ledger_says(
    client: TestClient, opened: Opened, rt: Runtime
) -> None:
    assert sorted(number for number, _ in opened.tickets.values()) == [1, 2, 3]
    with rt.store.read() as tx:
        published = {entry.kind: entry.data for entry in tx.ledger.entries()}
    closed, revealed, ordered = published[CLOSED], published[REVEALED], published[ORDERED]
    assert closed["collapsed"] == 1 and len(closed["entries"]) == 3  # type: ignore[arg-type]
    arrival = [str(entry) for entry in closed["entries"]]  # type: ignore[union-attr]
    secret = bytes.fromhex(str(revealed["secret"]))
    recomputed = shuffle.shuffled(arrival, shuffle.seed(secret, shuffle.list_hash(arrival)))
    assert ordered == {
        "launch": "ipad",
        "method": "shuffled",
        "order_hash": shuffle.list_hash(recomputed),
        "size": 3,
    }
    with rt.store.read() as tx:
        numbers = {entry.id: entry.number for entry in tx.waiting_rooms.entries("ipad")}
    assert [numbers[entry_id] for entry_id in recomputed] == [1, 2, 3]
    assert ledger.verify_store(rt).ok


def test_the_status_document_is_cacheable_and_answers_304_to_its_etag(
    client: TestClient, opened: Opened, clock: SimulatedClock
) -> None:
    response = client.get("/launches/ipad/queue/status")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=1, stale-while-revalidate=2"
    doc = response.json()
    assert doc["state"] == "admitting" and doc["admitting_up_to"] == 1
    assert (doc["prequeue_size"], doc["collapsed"]) == (3, 1)
    again = client.get("/launches/ipad/queue/status", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    clock.advance(timedelta(seconds=5))
    assert client.get("/launches/ipad/queue/status").json()["admitting_up_to"] == 6
    missing = client.get("/launches/nope/queue/status")
    assert missing.status_code == 404 and missing.json()["code"] == "waiting_room.not_found"


def test_a_later_arrival_takes_the_next_number_without_a_code(client: TestClient, opened: Opened) -> None:
    joined = join(client, "late@example.com")
    assert joined["confirmed"] is True and joined["number"] == 4 and joined["ticket"]


def test_an_admitted_number_gets_a_token_that_reserves_once(
    client: TestClient, opened: Opened, clock: SimulatedClock
) -> None:
    by_number = {number: ticket for number, ticket in opened.tickets.values()}
    early = client.post("/launches/ipad/queue/admission", json={"ticket": by_number[3]})
    assert early.status_code == 409 and early.json()["code"] == "admission.not_yet"
    token = client.post("/launches/ipad/queue/admission", json={"ticket": by_number[1]}).json()["admission"]

    refused = reserve(client, "k0", None)
    assert refused.status_code == 409 and refused.json()["code"] == "admission.required"
    forged = reserve(client, "k0", token[:-4] + "AAAA")
    assert forged.status_code == 422 and forged.json()["code"] == "admission.invalid"
    made = reserve(client, "k1", token)
    assert made.status_code == 201, made.text
    assert reserve(client, "k1", token).headers["idempotent-replayed"] == "true"
    used = reserve(client, "k2", token)
    assert used.status_code == 409 and used.json()["code"] == "admission.used"

    clock.advance(timedelta(seconds=2))
    later = client.post("/launches/ipad/queue/admission", json={"ticket": by_number[3]}).json()["admission"]
    clock.advance(timedelta(minutes=11))
    expired = reserve(client, "k3", later)
    assert expired.status_code == 409 and expired.json()["code"] == "admission.expired"


@pytest.fixture
def tab(client: TestClient, admin: Headers) -> str:
    """A second launch with a waiting room, made before the clock moves."""
    _launch(client, admin, "tab")
    assert _room(client, admin, "tab").status_code == 200
    return "tab"


def test_an_admission_for_one_launch_does_not_reserve_in_another(
    client: TestClient, tab: str, opened: Opened
) -> None:
    ticket = next(ticket for number, ticket in opened.tickets.values() if number == 1)
    token = client.post("/launches/ipad/queue/admission", json={"ticket": ticket}).json()["admission"]
    response = reserve(client, "k1", token, slug="tab")
    assert response.status_code == 422 and response.json()["code"] == "admission.invalid"


def test_a_room_turned_off_asks_no_admission_and_has_no_status(
    client: TestClient, admin: Headers, clock: SimulatedClock
) -> None:
    _launch(client, admin, "tab")
    assert _room(client, admin, "tab", enabled=False).status_code == 200
    clock.advance_to(OPENS)
    assert reserve(client, "k1", None, slug="tab").status_code == 201
    assert client.get("/launches/tab/queue/status").status_code == 404


def test_a_room_turned_on_after_reservations_without_one_asks_for_admission_at_once(
    client: TestClient, admin: Headers, clock: SimulatedClock
) -> None:
    _launch(client, admin, "tab")
    assert _room(client, admin, "tab", enabled=False).status_code == 200
    clock.advance_to(OPENS)
    assert reserve(client, "k1", None, slug="tab").status_code == 201  # the writer reads: no room on
    turned_on = _room(client, admin, "tab", enabled=True)
    assert turned_on.status_code == 200, turned_on.text
    refused = reserve(client, "k2", None, slug="tab")
    assert refused.status_code == 409 and refused.json()["code"] == "admission.required"


def test_the_settings_are_ledgered_with_the_commitment_and_read_back(
    client: TestClient, admin: Headers, room: str, rt: Runtime
) -> None:
    got = client.get("/api/v1/launches/ipad/waiting-room", headers=admin).json()
    assert got["enabled"] is True and got["admit_per_second"] == 1 and len(got["commitment"]) == 64
    with rt.store.read() as tx:
        kinds = [entry.kind for entry in tx.ledger.entries()]
    assert kinds[-2:] == ["waiting_room.committed", "waiting_room.configured"]
    bad = _room(client, admin, "ipad", admit_per_second=0)
    assert bad.status_code == 400 or bad.json()["code"] in ("request.invalid", "waiting_room.invalid")


def test_the_page_shows_the_number_and_the_wait_in_korean(client: TestClient, opened: Opened) -> None:
    number, ticket = opened.tickets["lee@example.com"]
    page = client.get("/launches/ipad/queue", params={"ticket": ticket, "lang": "ko"})
    assert page.status_code == 200
    assert f'data-number="{number}"' in page.text and "내 번호" in page.text
    assert '<meta http-equiv="refresh" content="10">' in page.text
    assert '<script src="/static/queue.js" defer></script>' in page.text  # no inline script: the CSP holds
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    japanese = client.get("/launches/ipad/queue", params={"ticket": ticket, "lang": "ja"})
    assert "あなたの番号" in japanese.text and f"ticket={ticket}" in japanese.text  # the switch keeps it


def _rechained(entries: list[LedgerEntry], kind: str, change: dict[str, Any]) -> list[LedgerEntry]:
    """The ledger as an operator rewriting history would leave it: one entry changed, every later
    hash recomputed, so the chain itself still holds."""
    out: list[LedgerEntry] = []
    for entry in entries:
        data = {**entry.data, **change} if entry.kind == kind else entry.data
        at = datetime.strptime(entry.at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        out.append(LedgerEntry.after(out[-1] if out else None, at, entry.kind, data))
    return out


def test_ledger_verify_fails_naming_a_rewritten_admitted_order(opened: Opened, rt: Runtime) -> None:
    with rt.store.read() as tx:
        entries = list(tx.ledger.entries())
    assert ledger.verify(entries, [], None).ok
    tampered = _rechained(entries, ORDERED, {"order_hash": "0" * 64})
    result = ledger.verify(tampered, [], None)
    assert not result.ok
    assert "waiting room of launch 'ipad'" in result.describe()
    assert "admitted order differs" in result.describe()


def test_ledger_verify_of_the_database_fails_when_the_numbers_are_swapped(
    client: TestClient, opened: Opened, rt: Runtime
) -> None:
    if rt.store.dialect != "sqlite":  # type: ignore[attr-defined]
        pytest.skip("the CLI reads a SQLite file here; the check itself is the same on PostgreSQL")
    url = str(rt.store.engine.url)  # type: ignore[attr-defined]
    assert CliRunner().invoke(main, ["ledger", "verify", url]).exit_code == 0
    assert waiting_room.check_numbers(rt) == ""
    with rt.store.write() as tx:
        first, second = [e for e in tx.waiting_rooms.entries("ipad") if e.number in (1, 2)]
        tx.waiting_rooms.set_numbers("ipad", {first.id: 99})
        tx.waiting_rooms.set_numbers("ipad", {second.id: first.number or 0, first.id: second.number or 0})
    result = CliRunner().invoke(main, ["ledger", "verify", url])
    assert result.exit_code == 1
    assert "waiting room of launch 'ipad'" in result.output and "not the admitted order" in result.output


def test_a_room_opens_once_however_often_it_is_asked(opened: Opened, rt: Runtime) -> None:
    with rt.store.read() as tx:
        room = tx.waiting_rooms.get("ipad")
    assert room is not None and waiting_room.open_due(rt) == []
    with rt.store.write() as tx:  # a writer holding the room as it was before the opening
        again = waiting_room._opened_if_due(tx, rt, replace(room, opened_at=None), rt.clock.now())
    assert again.opened_at == room.opened_at
    with rt.store.read() as tx:
        kinds = [entry.kind for entry in tx.ledger.entries()]
    assert kinds.count(ORDERED) == 1 and kinds.count(CLOSED) == 1


def test_the_launch_page_points_to_the_waiting_room_while_it_is_on(
    client: TestClient, admin: Headers, room: str
) -> None:
    page = client.get(f"/launches/{room}?lang=en").text
    assert "A waiting room is on: join its pre-queue from" in page
    assert f'href="/launches/{room}/queue"' in page

    assert _room(client, admin, room, enabled=False).status_code == 200
    assert "A waiting room is on" not in client.get(f"/launches/{room}?lang=en").text
