"""The waiting room's fallback seed from a drand beacon: a real chain served on 127.0.0.1 whose
rounds are signed with a BLS key made here (drand_beacon.py). A lost or wrong secret at the
opening makes the committed round seed the order; ``ledger verify`` recomputes it and checks the
round's signature; a beacon that cannot be read leaves arrival order, with the reason in the
ledger."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import test_waiting_room
from click.testing import CliRunner
from drand_beacon import Beacon, running_beacon
from http_servers import QuietHandler, serving
from sqlalchemy import update
from starlette.testclient import TestClient
from test_waiting_room import OPENS, Headers, Sink, _launch, _rechained, _room, confirm, join

from yaksok.channels import drand as drand_channel
from yaksok.cli import main
from yaksok.domain import beacon, shuffle
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import BeaconSetting, ConfigureWaitingRoom
from yaksok.domain.errors import InvalidInput
from yaksok.domain.subscription import allowed_networks
from yaksok.domain.waiting_room import (
    BEACON_DRAWN,
    BEACON_UNAVAILABLE,
    CLOSED,
    COMMITTED,
    ORDERED,
)
from yaksok.services import ledger, waiting_room, waiting_room_beacon
from yaksok.services.runtime import Runtime
from yaksok.store.tables import waiting_rooms
from yaksok.web.queue import QueueStatus

GENESIS = int(OPENS.timestamp()) - 10  # round 5 is the first after the opening: OPENS + 2 s
PERIOD = 3
LOCAL = allowed_networks(
    ["127.0.0.1"]
)  # where the test beacon is: a loopback address, refused unless allowed
app, admin, sink = test_waiting_room.app, test_waiting_room.admin, test_waiting_room.sink  # its fixtures


@pytest.fixture
def drand(request: pytest.FixtureRequest) -> Iterator[Beacon]:
    """A local beacon: drand's default scheme, or the one a test names (``indirect``)."""
    with running_beacon(GENESIS, PERIOD, scheme=getattr(request, "param", beacon.CHAINED)) as served:
        yield served


def _with_beacon(client: TestClient, admin: Headers, url: str, **fields: Any) -> Any:
    return _room(client, admin, "ipad", beacon={"url": url, **fields})


@pytest.fixture
def beacon_room(client: TestClient, admin: Headers, drand: Beacon) -> str:
    _launch(client, admin, "ipad")
    response = _with_beacon(client, admin, drand.url)  # the rest is read from its /info
    assert response.status_code == 200, response.text
    return "ipad"


def _fill_prequeue(client: TestClient, clock: SimulatedClock, sink: Sink) -> dict[str, str]:
    clock.advance_to(datetime(2010, 11, 3, tzinfo=UTC))
    tokens = {}
    for contact in ("kim@example.com", "lee@example.com", "choi@example.com", "han@example.com"):
        joined = join(client, contact)
        confirm(client, sink, contact, joined["token"])
        tokens[contact] = joined["token"]
    return tokens


def _lose_the_secret(rt: Runtime) -> None:
    """What an operator who withholds the reveal (or a restore that lost the secret) leaves: a
    secret that does not hash to the commitment."""
    with rt.store.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(update(waiting_rooms).values(secret="00" * 32))


def _open(
    client: TestClient, clock: SimulatedClock, tokens: dict[str, str], rt: Runtime | None = None
) -> dict[str, int]:
    """The opening, then each visitor's ticket. With ``rt``, the background path (``open_due``)
    opens the room first: only it may wait for the beacon round."""
    clock.advance_to(OPENS)
    if rt is not None:
        assert waiting_room.open_due(rt, allow=LOCAL) == ["ipad"]
    numbers = {}
    for contact, token in tokens.items():
        got = client.get("/launches/ipad/queue/ticket", params={"token": token})
        assert got.status_code == 200, got.text
        numbers[contact] = got.json()["number"]
    return numbers


def _published(rt: Runtime) -> dict[str, dict[str, Any]]:
    with rt.store.read() as tx:
        return {entry.kind: entry.data for entry in tx.ledger.entries()}


def test_the_commitment_names_the_chain_and_the_first_round_after_the_opening(
    client: TestClient, admin: Headers, beacon_room: str, drand: Beacon, rt: Runtime
) -> None:
    committed = _published(rt)[COMMITTED]
    assert committed["beacon"] == {
        "url": drand.url,
        "chain_hash": drand.chain_hash,
        "public_key": drand.public_key,
        "scheme": "pedersen-bls-chained",
        "genesis_time": GENESIS,
        "period": PERIOD,
        "round": 5,
        "algorithm": "yaksok-shuffle-v1-beacon",
    }
    shown = client.get("/api/v1/launches/ipad/waiting-room", headers=admin).json()["beacon"]
    assert shown["round"] == 5 and shown["round_time"] == "2010-11-09T11:00:02+00:00"
    assert drand.requests == ["/info"]  # read once, at the configuration


@pytest.mark.parametrize("drand", [beacon.CHAINED, beacon.G1_UNCHAINED], indirect=True)
def test_a_lost_secret_falls_back_to_the_committed_beacon_round_and_verify_recomputes_it(
    client: TestClient,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    numbers = _open(client, clock, tokens, rt)

    published = _published(rt)
    drawn, ordered = published[BEACON_DRAWN], published[ORDERED]
    assert drawn["round"] == 5 and drawn == {**drand.round(5), "launch": "ipad", "seed": drawn["seed"]}
    arrival = [str(entry) for entry in published[CLOSED]["entries"]]
    seed = beacon.seed(bytes.fromhex(drand.round(5)["randomness"]), shuffle.list_hash(arrival))  # type: ignore[arg-type]
    assert drawn["seed"] == seed.hex()
    recomputed = shuffle.shuffled(arrival, seed)
    assert ordered["method"] == "beacon" and ordered["order_hash"] == shuffle.list_hash(recomputed)
    with rt.store.read() as tx:
        number_of = {entry.id: entry.number for entry in tx.waiting_rooms.entries("ipad")}
    assert [number_of[entry_id] for entry_id in recomputed] == [1, 2, 3, 4]
    assert sorted(numbers.values()) == [1, 2, 3, 4]
    assert ledger.verify_store(rt).ok, ledger.verify_store(rt).describe()


def test_ledger_verify_fails_naming_a_beacon_round_whose_signature_was_rewritten(
    client: TestClient,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    _open(client, clock, tokens, rt)
    with rt.store.read() as tx:
        entries = list(tx.ledger.entries())
    assert ledger.verify(entries, [], None).ok
    # Round 4's genuine signature, with a randomness that matches it: only the BLS check can tell.
    other = drand.round(4)
    forged = _rechained(
        entries, BEACON_DRAWN, {"signature": other["signature"], "randomness": other["randomness"]}
    )
    result = ledger.verify(forged, [], None)
    seq = next(entry.seq for entry in entries if entry.kind == BEACON_DRAWN)
    assert not result.ok
    assert (
        f"waiting room of launch 'ipad' (ledger entry {seq}): the beacon round has a signature that does not "
        "verify against the committed public key" in result.describe()
    )


def test_a_beacon_that_cannot_be_read_at_the_opening_leaves_arrival_order_with_the_reason(
    client: TestClient,
    admin: Headers,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _launch(client, admin, "ipad")
    with running_beacon(GENESIS, PERIOD) as gone:
        assert _with_beacon(client, admin, gone.url).status_code == 200
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    # The round is due 2 s after the opening; waiting 0.5 s more for it is enough here.
    monkeypatch.setattr(waiting_room_beacon, "BEACON_GRACE_SECONDS", 0.5)
    _open(client, clock, tokens, rt)

    published = _published(rt)
    assert BEACON_DRAWN not in published
    unavailable = published[BEACON_UNAVAILABLE]
    assert unavailable["round"] == 5 and "could not be read" in str(unavailable["reason"])
    arrival = published[CLOSED]["entries"]
    assert published[ORDERED]["method"] == "arrival"
    assert published[ORDERED]["order_hash"] == shuffle.list_hash(arrival)  # type: ignore[arg-type]
    assert ledger.verify_store(rt).ok


def test_a_round_signed_by_another_key_is_not_used(
    client: TestClient,
    admin: Headers,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    _launch(client, admin, "ipad")
    with running_beacon(GENESIS, PERIOD, signing_key=12345) as impostor:
        fields = {"public_key": drand.public_key, "genesis_time": GENESIS, "period": PERIOD,
                  "scheme": "pedersen-bls-chained"}  # fmt: skip
        assert _with_beacon(client, admin, impostor.url, **fields).status_code == 200
        tokens = _fill_prequeue(client, clock, sink[0])
        _lose_the_secret(rt)
        _open(client, clock, tokens, rt)
    published = _published(rt)
    assert "does not verify against the committed public key" in str(published[BEACON_UNAVAILABLE]["reason"])
    assert published[ORDERED]["method"] == "arrival" and ledger.verify_store(rt).ok


def test_a_beacon_on_a_private_address_is_refused_unless_allowed_and_never_asked(
    client: TestClient, admin: Headers, drand: Beacon, rt: Runtime
) -> None:
    _launch(client, admin, "ipad")
    with rt.store.read() as tx:
        before = len(list(tx.ledger.entries()))
    command = ConfigureWaitingRoom(
        launch_slug="ipad",
        enabled=True,
        prequeue_opens=datetime(2010, 11, 2, tzinfo=UTC),
        admit_per_second=5,
        token_minutes=10,
        beacon=BeaconSetting(url=drand.url),
    )
    with pytest.raises(InvalidInput, match=r"127\.0\.0\.1 is a loopback address") as refused:
        waiting_room.configure(rt, command)  # no allow-list: as YAKSOK_WEBHOOK_ALLOW_HOSTS unset
    assert refused.value.code == "waiting_room.beacon_invalid"
    assert drand.requests == []  # refused before connecting
    with rt.store.read() as tx:
        assert len(list(tx.ledger.entries())) == before and tx.waiting_rooms.get("ipad") is None


def test_at_the_opening_a_beacon_no_longer_allowed_is_not_asked_and_the_order_is_arrival(
    client: TestClient,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    clock.advance_to(OPENS)
    assert waiting_room.open_due(rt) == ["ipad"]  # the allow-list emptied since the configuration

    published = _published(rt)
    assert "is a loopback address" in str(published[BEACON_UNAVAILABLE]["reason"])
    assert published[ORDERED]["method"] == "arrival" and ledger.verify_store(rt).ok
    assert drand.requests == ["/info"]  # the configuration's read; no round was asked for


def test_a_redirect_to_a_network_not_allowed_is_not_followed() -> None:
    class Redirect(QuietHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/info")
            self.send_header("Content-Length", "0")
            self.end_headers()

    refused = pytest.raises(drand_channel.BeaconRefused, match=r"10\.0\.0\.1 is a private address")
    with serving(Redirect) as url, refused:
        drand_channel.fetch_info(url, LOCAL)


def test_a_correct_reveal_shuffles_as_before_and_never_asks_the_beacon(
    client: TestClient,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    _open(client, clock, _fill_prequeue(client, clock, sink[0]))  # a ticket opens it, as before
    published = _published(rt)
    assert published[ORDERED]["method"] == "shuffled"
    assert BEACON_DRAWN not in published and BEACON_UNAVAILABLE not in published
    assert drand.requests == ["/info"]
    assert ledger.verify_store(rt).ok


def _written(rt: Runtime) -> tuple[int, list[Any], Any]:
    with rt.store.read() as tx:
        return len(list(tx.ledger.entries())), tx.waiting_rooms.entries("ipad"), tx.waiting_rooms.get("ipad")


def test_while_the_round_is_awaited_join_and_ticket_answer_503_with_retry_after_and_write_nothing(
    client: TestClient,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    clock.advance_to(OPENS)
    before = _written(rt)
    status = client.get("/launches/ipad/queue/status")  # a poll opens nothing that needs the beacon
    assert status.status_code == 200 and status.json()["state"] == "opening"
    for refused in (
        client.post("/launches/ipad/queue/join", json={"contact": "late@example.com"}),
        client.get("/launches/ipad/queue/ticket", params={"token": tokens["kim@example.com"]}),
    ):
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "waiting_room.opening"
        assert refused.headers["Retry-After"] == "7"  # round 5 is due 2 s after the opening, + 5 s of grace
    assert _written(rt) == before and drand.requests == ["/info"]

    assert waiting_room.open_due(rt, allow=LOCAL) == ["ipad"]  # the background path fetches the round
    assert _published(rt)[ORDERED]["method"] == "beacon"
    after = client.post("/launches/ipad/queue/join", json={"contact": "late@example.com"})
    assert after.status_code == 201 and after.json()["number"] == 5
    assert client.get("/launches/ipad/queue/status").json()["state"] == "admitting"
    assert ledger.verify_store(rt).ok


def test_no_write_waits_for_the_beacon_round(
    client: TestClient,
    admin: Headers,
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    rt: Runtime,
) -> None:
    """The draw waits for a beacon that answers after 2 s: meanwhile writes to the same launch
    (a refused join claims it) and to the database (a new launch) go through at once."""
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    clock.advance_to(OPENS)
    drand.delay = 2.0
    opened: list[bool] = []
    draw = threading.Thread(target=lambda: opened.append(waiting_room.open_drawn(rt, "ipad", allow=LOCAL)))
    draw.start()
    deadline = time.monotonic() + 10
    while "/public/5" not in drand.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "/public/5" in drand.requests
    started = time.monotonic()
    refused = client.post("/launches/ipad/queue/join", json={"contact": "late@example.com"})
    body = {"slug": "mac", "titles": {"en": "Mac"}, "zone": "Asia/Seoul", "skus": [{"code": "m1"}]}
    made = client.post("/api/v1/launches", json=body, headers=admin)
    took = time.monotonic() - started
    assert took < 1.5, f"the writes waited {took:.1f} s: a transaction was held during the fetch"
    assert draw.is_alive(), "the beacon had not answered yet"
    assert refused.status_code == 503 and refused.json()["code"] == "waiting_room.opening"
    assert made.status_code == 201, made.text
    with rt.store.read() as tx:
        room = tx.waiting_rooms.get("ipad")
        assert room is not None and room.closed_seq is not None and room.opened_at is None  # not ordered
    draw.join(timeout=20)
    assert opened == [True]
    assert _published(rt)[ORDERED]["method"] == "beacon"
    got = client.get("/launches/ipad/queue/ticket", params={"token": tokens["kim@example.com"]})
    assert got.status_code == 200, got.text
    assert ledger.verify_store(rt).ok


def test_the_status_timer_draws_in_a_thread_of_its_own_and_polls_never_wait(
    app: Any, beacon_room: str, drand: Beacon, clock: SimulatedClock, sink: tuple[Sink, int], rt: Runtime
) -> None:
    tokens = _fill_prequeue(TestClient(app), clock, sink[0])
    _lose_the_secret(rt)
    clock.advance_to(OPENS)
    drand.delay = 2.0
    status: QueueStatus = app.state.queue_status
    status.refresh_every = 0.05
    states = []
    with TestClient(app) as running:  # its lifespan runs the status timer
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            started = time.monotonic()
            state = running.get("/launches/ipad/queue/status").json()["state"]
            assert time.monotonic() - started < 1.0  # answered from memory, never behind the draw
            states.append(state)
            if state == "admitting":
                break
            time.sleep(0.05)
        got = running.get("/launches/ipad/queue/ticket", params={"token": tokens["kim@example.com"]})
    assert "opening" in states and states[-1] == "admitting"
    assert got.status_code == 200, got.text
    assert _published(rt)[ORDERED]["method"] == "beacon"


@pytest.mark.parametrize(
    ("beacon_fields", "code"),
    [
        ({"url": "ftp://127.0.0.1/chain"}, "waiting_room.beacon_invalid"),
        ({"url": "http://127.0.0.1:9/x?q=1"}, "waiting_room.beacon_invalid"),
        ({"url": "http://127.0.0.1:9", "period": 3}, "waiting_room.beacon_invalid"),
        ({"url": "http://127.0.0.1:9", "public_key": "ab" * 48, "genesis_time": GENESIS, "period": 3,
          "scheme": "pedersen-bls-chained"}, "waiting_room.beacon_invalid"),  # not a G1 point
        ({"url": "http://127.0.0.1:9", "public_key": "ab" * 20, "genesis_time": GENESIS, "period": 3,
          "scheme": "pedersen-bls-chained"}, "waiting_room.beacon_invalid"),
        ({"url": "http://127.0.0.1:9", "public_key": "ab" * 48, "genesis_time": GENESIS, "period": 3,
          "scheme": "bls-unchained-g1-rfc9380"}, "waiting_room.beacon_invalid"),  # quicknet's key is on G2
        ({"url": "http://127.0.0.1:9", "public_key": "ab" * 96, "genesis_time": GENESIS, "period": 3,
          "scheme": "bls-unchained-g1-rfc9380"}, "waiting_room.beacon_invalid"),  # not a G2 point
        ({"url": "http://127.0.0.1:9"}, "waiting_room.beacon_unreachable"),  # nothing listens: no /info
    ],
)  # fmt: skip
def test_a_bad_beacon_setting_is_refused_and_changes_nothing(
    client: TestClient, admin: Headers, rt: Runtime, beacon_fields: dict[str, Any], code: str
) -> None:
    _launch(client, admin, "ipad")
    with rt.store.read() as tx:
        before = len(list(tx.ledger.entries()))
    response = _room(client, admin, "ipad", beacon=beacon_fields)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    with rt.store.read() as tx:
        assert len(list(tx.ledger.entries())) == before and tx.waiting_rooms.get("ipad") is None


def test_a_chain_hash_other_than_the_beacons_is_refused(
    client: TestClient, admin: Headers, drand: Beacon
) -> None:
    _launch(client, admin, "ipad")
    response = _with_beacon(client, admin, drand.url, chain_hash="00" * 32)
    assert response.status_code == 422 and response.json()["code"] == "waiting_room.beacon_invalid"


def test_the_command_line_sets_a_beacon_from_its_url_and_shows_its_round(
    client: TestClient, admin: Headers, drand: Beacon, rt: Runtime
) -> None:
    if rt.store.dialect != "sqlite":  # type: ignore[attr-defined]
        pytest.skip("the CLI reads a SQLite file here; the service is the same on PostgreSQL")
    _launch(client, admin, "ipad")
    url = str(rt.store.engine.url)  # type: ignore[attr-defined]
    # The command line runs on the wall clock: the pre-queue opens in its future.
    args = ["waiting-room", "set", "ipad", "--prequeue-opens", "2099-01-01T00:00+00:00", "--rate", "5"]
    local = {"YAKSOK_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}
    result = CliRunner().invoke(main, [*args, "--beacon", drand.url, "--db", url], env=local)
    assert result.exit_code == 0, result.output
    assert (
        f"beacon: {drand.url} (pedersen-bls-chained, every 3 s; round 5 at 2010-11-09T11:00:02+00:00)"
        in result.output
    )
    refused = CliRunner().invoke(
        main, [*args, "--beacon", drand.url, "--beacon-period", "3", "--db", url], env=local
    )
    assert refused.exit_code != 0 and "public key, genesis time, period and scheme together" in refused.output
    dropped = CliRunner().invoke(main, [*args, "--db", url])
    assert dropped.exit_code == 0 and "beacon: none" in dropped.output
    with rt.store.read() as tx:
        commitments = [entry.data for entry in tx.ledger.entries() if entry.kind == COMMITTED]
    assert [c.get("beacon", {}).get("round") for c in commitments] == [5, None]  # type: ignore[union-attr]


def test_when_the_opening_moves_the_commitment_follows_it_to_the_round_after_the_new_opening(
    client: TestClient, admin: Headers, beacon_room: str, rt: Runtime
) -> None:
    with rt.store.read() as tx:
        milestone = tx.milestones.for_launch("ipad")[0].id
    moved = {"time": "2010-11-09T20:01", "precision": "exact", "reason": {"en": "One minute later."}}
    response = client.post(f"/api/v1/milestones/{milestone}/promises", json=moved, headers=admin)
    assert response.status_code == 201, response.text
    with rt.store.read() as tx:
        rounds = [entry.data["beacon"]["round"] for entry in tx.ledger.entries() if entry.kind == COMMITTED]  # type: ignore[index,call-overload]
    assert rounds == [5, 25]  # the new opening is genesis + 70 s; round 25 comes at genesis + 72 s
    shown = client.get("/api/v1/launches/ipad/waiting-room", headers=admin).json()["beacon"]
    assert shown["round"] == 25 and shown["round_time"] == "2010-11-09T11:01:02+00:00"


def test_a_stop_ends_the_wait_for_the_round_and_leaves_the_room_closed_for_the_next_start(
    beacon_room: str,
    drand: Beacon,
    clock: SimulatedClock,
    sink: tuple[Sink, int],
    client: TestClient,
    rt: Runtime,
) -> None:
    """A server stopping while the draw waits for a round not yet out neither waits for it nor
    concludes anything: no arrival order, no beacon entry; the next draw orders the room."""
    tokens = _fill_prequeue(client, clock, sink[0])
    _lose_the_secret(rt)
    clock.advance_to(OPENS)
    drand.unpublished = True  # the round is not out: the draw asks again every half second
    stop = threading.Event()
    opened: list[bool] = []
    draw = threading.Thread(
        target=lambda: opened.append(waiting_room.open_drawn(rt, "ipad", stop, allow=LOCAL))
    )
    draw.start()
    deadline = time.monotonic() + 10
    while "/public/5" not in drand.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    draw.join(timeout=3)
    assert not draw.is_alive() and opened == [False]
    published = _published(rt)
    assert ORDERED not in published and BEACON_UNAVAILABLE not in published and BEACON_DRAWN not in published
    drand.unpublished = False
    assert waiting_room.open_drawn(rt, "ipad", allow=LOCAL) is True
    assert _published(rt)[ORDERED]["method"] == "beacon"
    got = client.get("/launches/ipad/queue/ticket", params={"token": tokens["kim@example.com"]})
    assert got.status_code == 200, got.text
    assert ledger.verify_store(rt).ok
