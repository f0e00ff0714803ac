"""The servers `yaksok bench reservations` measures, each served by uvicorn the same way (built in
cli/, the one layer that may compose the web app):

- ``bare``: a raw ASGI app answering 201 once it has read the body (the ceiling);
- ``route``: yaksok's whole app, the reservation route answered at once by a writer that commits
  nothing (every request gets the reply of one real reservation made at start): what the serving
  process's own path costs, without the writer and the disk;
- ``reserve``: yaksok's whole app, reservations group-committed by a writer process, as
  ``yaksok serve`` runs it;
- ``baseline``: yaksok's whole app, each reservation committed in its own transaction;
- ``queue``: yaksok's whole app as it serves waiting room status polls (`yaksok bench waiting-room`).

Run as ``python -m yaksok.cli.bench_servers MODE PORT DATABASE_URL COMMIT_DELAY_MS [LAUNCH]``
(``route`` makes its one reservation in LAUNCH).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from yaksok.config import Settings
from yaksok.domain.commands import Reserve
from yaksok.services import databases
from yaksok.services.runtime import Runtime
from yaksok.web import reservation_writer
from yaksok.web.app import create_app
from yaksok.web.group_commit import GroupCommit, Reply, Writer
from yaksok.web.live_hub import tune_gc_for_broadcasts
from yaksok.web.reserve import decided


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def serve(app: ASGIApp, port: int) -> None:
    tune_gc_for_broadcasts()  # as `yaksok serve` does (web.server.run_server)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, server_header=False)


def one_commit_per_request(rt: Runtime, delay: float) -> GroupCommit:
    def commit(batch: Sequence[Reserve]) -> list[Reply]:
        replies = []
        for command in batch:
            time.sleep(delay)
            replies.extend(decided(rt, [command]))
        return replies

    return GroupCommit(commit)


class AnswersAtOnce(Writer):
    """A writer that commits nothing: every request gets ``reply`` as soon as it is submitted."""

    def __init__(self, reply: Reply) -> None:
        self._reply = reply

    async def submit(self, command: Reserve) -> Reply:
        return self._reply


def one_real_reply(rt: Runtime, launch: str) -> Reply:
    sample = Reserve(
        launch_slug=launch, idempotency_key="bench-route", sku="wifi-16", quantity=1, contact="a@example.com"
    )
    reply = decided(rt, [sample])[0]
    if reply[0] != 201:
        raise SystemExit(f"the route phase's sample reservation was refused: {reply[2]!r}")
    return reply


def main(mode: str, port: int, url: str, delay_ms: float, launch: str = "") -> None:
    if mode == "bare":
        serve(bare, port)
        return
    with databases.opened(url, migrate=False) as rt, contextlib.ExitStack() as stack:
        if mode == "queue":
            writer: Writer = GroupCommit(lambda batch: decided(rt, batch))
        elif mode == "route":
            writer = AnswersAtOnce(one_real_reply(rt, launch))
        elif mode == "baseline":
            writer = one_commit_per_request(rt, delay_ms / 1000)
        else:
            writer = stack.enter_context(reservation_writer.started(url, commit_delay_ms=delay_ms))
        # Every wrk connection comes from 127.0.0.1: the per-address limit would be all we measured.
        settings = Settings(database_url=url, run_scheduler=False, public_writes_per_second=0)
        serve(create_app(rt, settings, reservation_writer=writer), port)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), *sys.argv[5:6])
