"""Shared fixtures: stores on SQLite, (when reachable) PostgreSQL and in memory, runtimes on a
simulated clock. A SQL store starts from a schema migrated once per session (copied, not migrated
again, for each test); test_store.py checks that it is exactly what the migrations make."""

from __future__ import annotations

import functools
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from yaksok.domain.clock import SimulatedClock
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.engine import alembic_config, make_engine, upgrade
from yaksok.store.memory import MemoryStore
from yaksok.store.tables import metadata
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


@functools.cache
def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_URL, pool_size=1)


@contextmanager
def _pg_schema_engine() -> Iterator[sa.Engine]:
    """An engine on a fresh, empty schema, so parallel runs and leftovers never collide."""
    schema = f"yaksok_test_{uuid.uuid4().hex[:10]}"
    with _pg_admin().begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with _pg_admin().begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@functools.cache
def _pg_schema_ddl() -> str:
    """The schema the migrations make, as one batch of DDL: test_store.py checks that it is exactly
    what ``upgrade`` builds, which takes many more round trips."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = [str(CreateTable(table).compile(dialect=dialect)) for table in metadata.sorted_tables]
    for table in metadata.sorted_tables:
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    statements.append(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,"
        " CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    statements.append(f"INSERT INTO alembic_version (version_num) VALUES ('{head}')")
    return ";\n".join(statements)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; each test store starts as a copy of it."""
    path = tmp_path_factory.mktemp("template") / "yaksok.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection checkpoints the WAL: the file alone holds the schema
    return path


def migrate_quickly(engine: sa.Engine, sqlite_template: Path) -> None:
    """Give an empty database the migrated schema, as ``upgrade`` would, in a few milliseconds."""
    if engine.dialect.name == "sqlite":
        target = Path(str(engine.url.database))
        assert not target.exists(), "copy the template before the engine opens the database"
        shutil.copyfile(sqlite_template, target)
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql(_pg_schema_ddl())


def _skip_without_postgresql() -> None:
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_pg_state.get('why')}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An empty database on each engine, not yet migrated."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'yaksok.db'}")
        yield engine
        engine.dispose()
        return
    _skip_without_postgresql()
    with _pg_schema_engine() as engine:
        yield engine


@pytest.fixture
def store(bare_engine: sa.Engine, sqlite_template: Path) -> Store:
    """A migrated, empty store on each database."""
    migrate_quickly(bare_engine, sqlite_template)
    return Store(bare_engine)


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate_quickly(engine, sqlite_template)
    opened = Store(engine)
    yield opened
    opened.close()


@pytest.fixture
def postgresql_store() -> Iterator[Store]:
    _skip_without_postgresql()
    with _pg_schema_engine() as engine:
        migrate_quickly(engine, Path())
        opened = Store(engine)
        yield opened
        opened.close()  # the connections it keeps for the reservation writer too


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


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


@pytest.fixture
def memory_rt(memory_store: MemoryStore, clock: SimulatedClock) -> Runtime:
    """A runtime on the in-memory store, for service tests: no database, same clock and ids."""
    return Runtime(store=memory_store, clock=clock, new_id=counting_ids())


warnings.filterwarnings("default", category=ResourceWarning)
