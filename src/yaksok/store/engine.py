"""Connecting to the store: SQLite (embedded, WAL) or PostgreSQL, chosen by the URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = {"key": 0x796D_6967}  # "ymig", paired with the schema's hash


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: ``postgresql://`` and ``postgres://`` mean psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **options)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # acknowledged means durable, even on power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock at BEGIN: a deferred transaction that later upgrades can
        # fail with SQLITE_BUSY instead of waiting. Readers stay deferred and never block.
        options = connection.get_execution_options()
        if options.get("yaksok_write", False):
            # In WAL mode FULL syncs the log at every commit; NORMAL leaves that to an explicit
            # flush (``Store.flush``) and still syncs around checkpoints and when the log restarts.
            sync = "NORMAL" if options.get("yaksok_unflushed", False) else "FULL"
            info = connection.connection.info
            if info.get("synchronous") != sync:
                connection.exec_driver_sql(f"PRAGMA synchronous={sync}")
                info["synchronous"] = sync
        # Straight to the driver: SQLAlchemy's statement handling costs more than BEGIN itself.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("BEGIN IMMEDIATE" if options.get("yaksok_write", False) else "BEGIN")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent); processes starting together on one
    database take turns, and the later ones find nothing left to do."""
    with engine.connect().execution_options(yaksok_write=True) as connection, connection.begin():
        if connection.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE already takes turns
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"), _MIGRATION_LOCK
            )
        command.upgrade(alembic_config(connection), "head")
