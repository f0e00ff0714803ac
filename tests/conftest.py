"""Shared fixtures: stores on SQLite and (when reachable) PostgreSQL, runtimes on a simulated clock."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from yaksok.domain.clock import SimulatedClock
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.engine import make_engine, upgrade
from yaksok.store.unit_of_work import Store

PG_URL = os.environ.get("YAKSOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2010, 10, 28, 0, 0, tzinfo=UTC)

_pg_state: dict[str, object] = {}


def _pg_reachable() -> bool:
    if "ok" not in _pg_state:
        try:
            probe = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
            with probe.connect() as conn:
                conn.execute(sa.text("select 1"))
            probe.dispose()
            _pg_state["ok"] = True
        except Exception as exc:  # any failure to connect means: skip PostgreSQL, loudly
            _pg_state["ok"] = False
            _pg_state["why"] = str(exc).splitlines()[0]
    return bool(_pg_state["ok"])


def pytest_report_header(config: pytest.Config) -> str:
    if _pg_reachable():
        return f"PostgreSQL: {PG_URL} reachable, storage tests run on SQLite and PostgreSQL"
    return (
        f"!!! PostgreSQL at {PG_URL} is NOT reachable ({_pg_state.get('why')}): "
        "PostgreSQL storage cases are SKIPPED; only SQLite is tested !!!"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # The header is hidden under -q (as CI runs); a skipped PostgreSQL must still be seen.
    if "ok" in _pg_state and not _pg_state["ok"]:
        terminalreporter.write_sep(
            "!", f"PostgreSQL at {PG_URL} was NOT reachable: its storage cases were SKIPPED", red=True
        )


def _pg_schema_url() -> Iterator[str]:
    """A fresh schema per test, so parallel runs and leftovers never collide."""
    schema = f"yaksok_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[sa.Engine]:  # type: ignore[no-untyped-def]
    """An empty database on each engine, not yet migrated."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'yaksok.db'}")
        yield engine
        engine.dispose()
        return
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_pg_state.get('why')}")
    for schema in _pg_schema_url():
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
        yield engine
        engine.dispose()


@pytest.fixture
def store(bare_engine: sa.Engine) -> Store:
    """A migrated, empty store on each database."""
    upgrade(bare_engine)
    return Store(bare_engine)


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'yaksok.db'}")
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def rt(store: Store, clock: SimulatedClock) -> Runtime:
    """A runtime on each database with a simulated clock at 2010-10-28 00:00 UTC."""
    return Runtime(store=store, clock=clock, new_id=counting_ids())


@pytest.fixture
def sqlite_rt(sqlite_store: Store, clock: SimulatedClock) -> Runtime:
    return Runtime(store=sqlite_store, clock=clock, new_id=counting_ids())


warnings.filterwarnings("default", category=ResourceWarning)
