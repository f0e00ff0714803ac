"""What the end-to-end tests share to run yaksok for real: its command, free ports, the URL another
process needs to reach a test database, a launch whose pre-order is open, and the app served by
uvicorn in a thread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from starlette.types import ASGIApp

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

# The installed console script when there is one, else the same entry point through this Python.
_SCRIPT = Path(sys.executable).with_name("yaksok")
YAKSOK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from yaksok.cli import main; main()"]
STARTUP = 15.0  # seconds a server in a thread may take to start or stop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without YAKSOK_ settings, so a child reads only what it is given."""
    return {key: value for key, value in os.environ.items() if not key.startswith("YAKSOK_")}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*YAKSOK, *args], capture_output=True, text=True, timeout=60, env=clean_env(), check=False
    )


def database_url(engine: sa.Engine) -> str:
    """The URL a separate process needs to reach the same database (and schema) as ``engine``."""
    if engine.dialect.name != "postgresql":
        return engine.url.render_as_string(hide_password=False)
    with engine.connect() as connection:
        schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def open_preorder(url: str, slug: str, *, cap: int | None = None) -> None:
    """A launch at ``url`` whose pre-order of one SKU (``wifi-16``) opened a minute ago."""
    store = Store.connect(url)
    opening = datetime.now(UTC) - timedelta(minutes=1)
    rt = Runtime(store=store, clock=SimulatedClock(opening - timedelta(hours=1)))
    launches.create_launch(
        rt,
        CreateLaunch(
            slug=slug,
            titles={"en": slug.title()},
            zone="Asia/Seoul",
            skus=(Sku("wifi-16", {"en": "Wi-Fi"}, cap=cap),),
            policy=Policy(min_lead=timedelta(0)),
        ),
    )
    milestone = launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug=slug, key="preorder", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "Pre-order"}
        ),
    )
    launches.revise_promise(
        rt, RevisePromise(milestone.id, time=opening.isoformat(), precision=Precision.EXACT)
    )
    store.close()


@contextmanager
def served_in_thread(app: ASGIApp, port: int, name: str) -> Iterator[str]:
    """``app`` on 127.0.0.1:``port`` in a uvicorn thread until the block ends; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the uvicorn server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP)
