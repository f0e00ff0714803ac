"""``GET /events`` on a real uvicorn server on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import httpx
import pytest
import uvicorn

from yaksok.channels import sse
from yaksok.config import Settings
from yaksok.domain.commands import CreateLaunch, WriteNotice
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.services import launches, notices, questions
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web import live, live_hub
from yaksok.web.app import create_app
from yaksok.web.live import LiveHub

WAIT = 5.0  # seconds: the most any step here may take on a real socket


@dataclass
class LiveServer:
    url: str
    hub: LiveHub


@contextmanager
def running(rt: Runtime, **hub_settings: float | bool) -> Iterator[LiveServer]:
    """The whole app on uvicorn in a thread, on a free port; the scheduler is not needed here.
    ``hub_settings`` (e.g. ``poll_interval=0.05``) are set on the hub before it starts."""
    settings = Settings(database_url=str(rt.store.engine.url), run_scheduler=False)
    app = create_app(rt, settings)
    for name, value in hub_settings.items():
        assert hasattr(app.state.hub, name), name
        setattr(app.state.hub, name, value)
    config = uvicorn.Config(app, log_level="warning", ws="none", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        wait_until(lambda: server.started)
        try:
            yield LiveServer(f"http://127.0.0.1:{sock.getsockname()[1]}", app.state.hub)
        finally:
            server.should_exit = True
            thread.join(WAIT)
    assert not thread.is_alive()


@pytest.fixture
def server(rt: Runtime) -> Iterator[LiveServer]:
    with running(rt) as live_server:
        yield live_server


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=WAIT) as http:
        yield http


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def publish(rt: Runtime, title: str, launch: str | None = None) -> tuple[int, Notice]:
    notice = notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": title}, launch_slug=launch, publish_now=True)
    )
    return seq_of(rt, notice.id), notice


def seq_of(rt: Runtime, notice_id: str) -> int:
    with rt.store.read() as tx:
        return next(seq for seq, n in tx.notices.published_with_seq(0) if n.id == notice_id)


class Events:
    """Reads SSE frames from a streaming response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next_block(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for line in self._lines:
            if line == "":
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            fields[name or "comment"] = value.removeprefix(" ")
        raise AssertionError("the stream ended")

    def next_notice(self) -> dict[str, str]:
        while True:
            block = self.next_block()
            if block.get("event") == "notice":
                return block

    def titles(self, count: int) -> list[str]:
        return [json.loads(self.next_notice()["data"])["titles"]["en"] for _ in range(count)]


@contextmanager
def stream(client: httpx.Client, **headers: str) -> Iterator[Events]:
    with client.stream("GET", "/events", headers=headers) as response:
        assert response.status_code == 200
        yield Events(response)


def test_a_published_notice_reaches_a_connected_client_as_one_frame(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    with client.stream("GET", "/events") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-accel-buffering"] == "no"
        chunks = response.iter_raw()
        assert next(chunks) == b"retry: 3000\n\n"
        wait_until(lambda: server.hub.open_streams == 1)

        seq, notice = publish(rt, "Pre-orders open at 20:00 KST")
        frame = next(chunks)

    assert notice.published_at is not None
    head, data = frame.split(b"\ndata: ")
    assert head == b"id: %d\nevent: notice" % seq and data.endswith(b"\n\n") and data.count(b"\n") == 2
    assert json.loads(data) == {
        "id": notice.id,
        "seq": seq,
        "kind": "general",
        "launch": None,
        "titles": {"en": "Pre-orders open at 20:00 KST"},
        "published_at": notice.published_at.isoformat(),
        "url": f"/notices/{notice.id}",
    }


def test_two_clients_both_receive(rt: Runtime, server: LiveServer, client: httpx.Client) -> None:
    with stream(client) as first, stream(client) as second:
        wait_until(lambda: server.hub.open_streams == 2)
        publish(rt, "one")
        publish(rt, "two")

        assert first.titles(2) == ["one", "two"]
        assert second.titles(2) == ["one", "two"]


def test_last_event_id_resumes_without_loss_or_duplicates(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    with stream(client) as events:
        wait_until(lambda: server.hub.open_streams == 1)
        publish(rt, "before the drop")
        last_id = events.next_notice()["id"]
    wait_until(lambda: server.hub.open_streams == 0)

    publish(rt, "missed 1")
    publish(rt, "missed 2")
    with stream(client, **{"Last-Event-ID": last_id}) as events:
        assert events.titles(2) == ["missed 1", "missed 2"]
        publish(rt, "live")
        assert events.titles(1) == ["live"]


def test_a_client_further_behind_than_the_hub_remembers_catches_up_from_the_store(rt: Runtime) -> None:
    for n in range(3):
        publish(rt, f"old {n}")
    with running(rt) as server, httpx.Client(base_url=server.url, timeout=WAIT) as client:
        with stream(client, **{"Last-Event-ID": "0"}) as events:
            assert events.titles(3) == ["old 0", "old 1", "old 2"]
            publish(rt, "new")
            assert events.titles(1) == ["new"]
        wait_until(lambda: server.hub.open_streams == 0)


def test_publications_during_the_catch_up_are_neither_lost_nor_repeated(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_seq, _ = publish(rt, "seen")
    publish(rt, "missed")
    real_read = live.published_after
    raced: list[int] = []

    def racing_read(rt_: Runtime, after: int) -> list[live.Frame]:
        if after != first_seq or raced:  # only the resuming stream's read from the store races
            return real_read(rt_, after)
        raced.append(publish(rt, "just before the read")[0])
        frames = real_read(rt_, after)
        raced.append(publish(rt, "just after the read")[0])
        return frames

    monkeypatch.setattr(live, "published_after", racing_read)
    with (
        running(rt) as server,
        httpx.Client(base_url=server.url, timeout=WAIT) as client,
        stream(client, **{"Last-Event-ID": str(first_seq)}) as events,
    ):
        assert events.titles(3) == ["missed", "just before the read", "just after the read"]
        publish(rt, "sentinel")  # the next frame proves nothing was sent twice
        assert events.titles(1) == ["sentinel"]
    assert len(raced) == 2


def test_the_query_parameter_resumes_for_clients_that_cannot_set_headers(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    seq, _ = publish(rt, "seen")
    publish(rt, "missed")
    with client.stream("GET", f"/events?last_event_id={seq}") as response:
        assert Events(response).titles(1) == ["missed"]


def test_the_header_wins_over_the_query_parameter_on_reconnection(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    first, _ = publish(rt, "first")
    second, _ = publish(rt, "second")
    publish(rt, "third")
    headers = {"Last-Event-ID": str(second)}
    with client.stream("GET", f"/events?last_event_id={first}", headers=headers) as response:
        assert Events(response).titles(1) == ["third"]


def test_the_launch_filter_sends_only_that_launchs_notices(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    with client.stream("GET", "/events?launch=ipad") as response:
        events = Events(response)
        wait_until(lambda: server.hub.open_streams == 1)
        publish(rt, "about something else")
        publish(rt, "about the iPad", launch="ipad")
        assert events.titles(1) == ["about the iPad"]


def test_a_bad_last_event_id_is_a_clear_400(server: LiveServer, client: httpx.Client) -> None:
    response = client.get("/events", headers={"Last-Event-ID": "yesterday"})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "events.bad_last_event_id"


def test_a_disconnected_client_is_cleaned_up(server: LiveServer, client: httpx.Client) -> None:
    with stream(client), stream(client):
        wait_until(lambda: server.hub.open_streams == 2)
    wait_until(lambda: server.hub.open_streams == 0)


def test_another_processs_publications_reach_clients_through_the_poll(rt: Runtime) -> None:
    elsewhere = Runtime(store=Store(rt.store.engine), clock=rt.clock)  # no listener: like a separate worker
    # Without LISTEN (SQLite, or turned off on PostgreSQL) only the poll can bring this notice.
    with (
        running(rt, poll_interval=0.05, listen=False) as server,
        httpx.Client(base_url=server.url, timeout=WAIT) as client,
        stream(client) as events,
    ):
        wait_until(lambda: server.hub.open_streams == 1)
        notices.create_notice(
            elsewhere,
            WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "from the worker"}, publish_now=True),
        )
        assert events.titles(1) == ["from the worker"]
        assert not server.hub.listening


def test_keep_alive_comments_flow_on_an_idle_stream(rt: Runtime) -> None:
    with (
        running(rt, keepalive_interval=0.05) as server,
        httpx.Client(base_url=server.url, timeout=WAIT) as client,
        stream(client) as events,
    ):
        assert events.next_block() == {"retry": "3000"}
        assert events.next_block() == {"comment": "keep-alive"}


def test_head_answers_with_the_stream_headers_and_no_body(server: LiveServer, client: httpx.Client) -> None:
    response = client.head("/events")

    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"


# In-process: many streams on one hub, through the ASGI door with a fake server.


class FakeConnection:
    """The server side of one ``/events`` request, as an ASGI server would drive it."""

    def __init__(self, headers: list[tuple[bytes, bytes]], app: object) -> None:
        self.scope = {"type": "http", "method": "GET", "headers": headers, "query_string": b"", "app": app}
        self.body = bytearray()
        self.ended = False
        self.left = asyncio.Event()
        self._asked = False

    async def receive(self) -> dict[str, object]:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, object]) -> None:
        if message["type"] == "http.response.body":
            body = message["body"]
            assert isinstance(body, bytes)
            self.body += body
            self.ended = not message.get("more_body", False)

    def serve(self) -> asyncio.Task[None]:
        return asyncio.create_task(live.events(self.scope, self.receive, self.send))  # type: ignore[arg-type]


async def settle(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.001)


def test_a_thousand_streams_each_get_the_frame_once_and_end_when_the_hub_stops(rt: Runtime) -> None:
    async def scenario() -> None:
        hub = LiveHub(rt)
        await hub.start()
        app = SimpleNamespace(state=SimpleNamespace(hub=hub))
        connections = [FakeConnection([], app) for _ in range(1000)]
        tasks = [connection.serve() for connection in connections]
        await settle(lambda: hub.open_streams == 1000)

        publish(rt, "to everyone")
        await hub.refresh()
        await settle(lambda: all(b"to everyone" in c.body for c in connections))
        connections[0].left.set()  # one client goes away
        await settle(lambda: hub.open_streams == 999)

        await hub.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
        assert hub.open_streams == 0 and all(c.ended for c in connections[1:])
        assert {c.body.count(b"event: notice") for c in connections} == {1}

    asyncio.run(scenario())


def test_a_stream_behind_the_hubs_memory_reads_the_store_without_duplicates(rt: Runtime) -> None:
    async def scenario() -> None:
        hub = LiveHub(rt, keep=1)
        await hub.start()
        seqs = [publish(rt, f"n{n}")[0] for n in range(4)]
        await hub.refresh()
        assert hub.base_seq > seqs[0]  # the hub has forgotten the early frames

        app = SimpleNamespace(state=SimpleNamespace(hub=hub))
        connection = FakeConnection([(b"last-event-id", str(seqs[0]).encode())], app)
        task = connection.serve()
        await settle(lambda: b"n3" in connection.body)
        await hub.stop()
        await asyncio.wait_for(task, WAIT)

        frames = [line for line in bytes(connection.body).split(b"\n") if line.startswith(b"id: ")]
        assert frames == [b"id: %d" % seq for seq in seqs[1:]]

    asyncio.run(scenario())


# The direct path: a publication in this process goes out without the hub reading the store.


def app_for(hub: LiveHub) -> SimpleNamespace:
    return SimpleNamespace(state=SimpleNamespace(hub=hub))


def frame_ids(body: bytearray) -> list[int]:
    return [int(line.removeprefix(b"id: ")) for line in bytes(body).split(b"\n") if line.startswith(b"id: ")]


@dataclass
class StoreReads:
    """Every read of published notices from the store: where it started and the seqs it found."""

    held: threading.Event  # reads wait for it before they look at the store
    calls: list[tuple[int, list[int]]]


def watch_store_reads(monkeypatch: pytest.MonkeyPatch, *, held: bool) -> StoreReads:
    reads = StoreReads(threading.Event(), [])
    if not held:
        reads.held.set()
    real_read = live_hub.published_after

    def read(rt_: Runtime, after: int) -> list[live.Frame]:
        assert reads.held.wait(WAIT)
        frames = real_read(rt_, after)
        reads.calls.append((after, [frame.seq for frame in frames]))
        return frames

    for module in (live_hub, live):  # the hub's reads and a stream's catch-up
        monkeypatch.setattr(module, "published_after", read)
    return reads


def test_publications_in_this_process_reach_streams_while_every_store_read_is_held(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(rt, "before the hub started")
    # The ledger head is then not a notice: the first publication names an older predecessor.
    launches.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))
    reads = watch_store_reads(monkeypatch, held=True)

    async def scenario() -> None:
        hub = LiveHub(rt, listen=False)  # on PostgreSQL, NOTIFY would add reads of its own
        await hub.start()
        head = hub.last_seq
        connection = FakeConnection([], app_for(hub))
        task = connection.serve()
        await settle(lambda: hub.open_streams == 1)

        seqs = [(await asyncio.to_thread(publish, rt, f"at once {n}"))[0] for n in range(3)]
        await settle(lambda: frame_ids(connection.body) == seqs)
        assert reads.calls == []  # the hub's start-up read is still held: none has finished

        reads.held.set()
        await settle(lambda: len(reads.calls) == 1)  # it finds the three, and drops them
        seqs.append((await asyncio.to_thread(publish, rt, "sentinel"))[0])
        await settle(lambda: frame_ids(connection.body) == seqs)
        await hub.stop()
        await asyncio.wait_for(task, WAIT)

        assert frame_ids(connection.body) == seqs and reads.calls == [(head, seqs[:3])]
        # The frames encoded in the publishing thread are byte for byte those of the stored notices.
        with rt.store.read() as tx:
            stored = tx.notices.published_with_seq(head)
        expected = b"".join(live_hub.encode_frame(seq, notice).data for seq, notice in stored)
        assert bytes(connection.body) == sse.RETRY + expected

    asyncio.run(scenario())


def test_publications_heard_out_of_order_from_two_threads_go_out_in_seq_order(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = watch_store_reads(monkeypatch, held=True)

    async def scenario() -> None:
        hub = LiveHub(rt)
        await hub.start()
        connection = FakeConnection([], app_for(hub))
        task = connection.serve()
        await settle(lambda: hub.open_streams == 1)

        # Publish twice with the hub's callback held back, then replay the two calls swapped, each
        # from its own thread: as if the second publisher's thread ran first after its commit.
        calls: list[tuple[int, int | None, Notice]] = []

        def record(seq: int, previous_seq: int | None, notice: Notice) -> None:
            calls.append((seq, previous_seq, notice))

        rt.on_publish[:] = [record]
        publish(rt, "first")
        publish(rt, "second")
        rt.on_publish[:] = [hub._heard]
        first, second = calls
        assert second[1] == first[0]  # the second names the first as its predecessor

        await asyncio.to_thread(hub._heard, *second)
        await asyncio.sleep(0.05)
        assert frame_ids(connection.body) == []  # it waits for its predecessor...
        await asyncio.to_thread(hub._heard, *first)
        await settle(lambda: frame_ids(connection.body) == [first[0], second[0]])
        assert reads.calls == []  # ...which arrives directly too: no store read was needed

        reads.held.set()
        sentinel, _ = await asyncio.to_thread(publish, rt, "sentinel")
        await settle(lambda: frame_ids(connection.body) == [first[0], second[0], sentinel])
        await hub.stop()
        await asyncio.wait_for(task, WAIT)
        assert frame_ids(connection.body) == [first[0], second[0], sentinel]

    asyncio.run(scenario())


@pytest.mark.parametrize("listen", [False, True], ids=["polling", "listening"])
def test_a_publication_from_another_process_in_between_is_read_from_the_store(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch, listen: bool
) -> None:
    elsewhere = Runtime(store=Store(rt.store.engine), clock=rt.clock)  # no listener: another process
    reads = watch_store_reads(monkeypatch, held=False)
    listening = listen and rt.store.dialect == "postgresql"

    async def scenario() -> None:
        # The poll is far slower than any wait here: without LISTEN, only the hub's own fallback to
        # the store can bring the other process's notice.
        hub = LiveHub(rt, poll_interval=60, listening_poll_interval=60, listen=listen)
        await hub.start()
        connection = FakeConnection([], app_for(hub))
        task = connection.serve()
        await settle(lambda: hub.open_streams == 1 and hub.listening == listening)

        here_1, _ = await asyncio.to_thread(publish, rt, "here 1")
        await settle(lambda: frame_ids(connection.body) == [here_1])
        there, _ = await asyncio.to_thread(publish, elsewhere, "elsewhere")
        here_2, _ = await asyncio.to_thread(publish, rt, "here 2")  # names `there` as its predecessor
        await settle(lambda: frame_ids(connection.body) == [here_1, there, here_2])
        here_3, _ = await asyncio.to_thread(publish, rt, "here 3")
        await settle(lambda: frame_ids(connection.body) == [here_1, there, here_2, here_3])
        await hub.stop()
        await asyncio.wait_for(task, WAIT)

        assert frame_ids(connection.body) == [here_1, there, here_2, here_3]
        assert any(there in found for _, found in reads.calls)  # it came from the store
        if not listening:  # (a NOTIFY may also have the hub read what it already has)
            assert not any(here_3 in found for _, found in reads.calls)  # back on the direct path

    asyncio.run(scenario())


def test_an_official_answer_reaches_open_streams_between_notices_in_ledger_order(
    rt: Runtime, server: LiveServer, client: httpx.Client
) -> None:
    launches.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))
    asked = questions.ask(rt, questions.Ask("ipad", "<b>When</b>?"))
    with stream(client) as events:
        wait_until(lambda: server.hub.open_streams == 1)
        publish(rt, "before", "ipad")
        done = questions.answer(dataclasses.replace(rt, actor="t_support"), asked.id, "At 20:00.")
        publish(rt, "after", "ipad")
        blocks: list[dict[str, str]] = []
        while len(blocks) < 3:
            block = events.next_block()
            blocks += [block] if "event" in block else []
    assert [b["event"] for b in blocks] == ["notice", "answer", "notice"]
    assert [int(b["id"]) for b in blocks] == sorted(int(b["id"]) for b in blocks)
    answer = json.loads(blocks[1]["data"])
    assert answer["text"] == "At 20:00." and answer["question"] == asked.id and answer["launch"] == "ipad"
    assert int(blocks[1]["id"]) == done.answer.ledger_seq and answer["url"] == f"/launches/ipad#{asked.id}"
