"""The whole app served by a real uvicorn on a free 127.0.0.1 port, in a thread: for the tests
whose client is a separate program (``yaksok ledger verify URL``) rather than the ASGI client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(rt: Runtime) -> Iterator[str]:
    """The app on ``rt`` at the URL yielded, until the block ends."""
    port = free_port()
    app = create_app(rt, Settings(database_url="unused", port=port, run_scheduler=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
