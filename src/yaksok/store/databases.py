"""A database named by its URL, as the command line meets it: opened as a store, named without
its password, and (for SQLite) the file on disk, which the demo may replace.

Whatever goes wrong reading one is a ``SourceUnavailable`` with a one-line reason, so that no
caller above the store needs to know SQLAlchemy's or Alembic's exceptions.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from yaksok.store.engine import make_engine
from yaksok.store.unit_of_work import Store


class SourceUnavailable(Exception):
    """A database or server named by the operator cannot be read as a yaksok source."""


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def backend(url: str) -> str:
    """Which database the URL names: ``sqlite`` or ``postgresql``."""
    try:
        return make_url(url).get_backend_name()
    except ArgumentError as exc:
        raise SourceUnavailable(f"cannot read {url!r} as a database URL") from exc


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store at ``url``, its migrations applied unless told not to."""
    try:
        return Store.connect(url, migrate=migrate)
    except (SQLAlchemyError, CommandError, ValueError) as exc:
        raise SourceUnavailable(f"cannot open the database {redacted(url)}: {first_line(exc)}") from exc


def schema_revision(store: Store, url: str) -> str | None:
    """The store's schema revision (None: the database holds no yaksok schema)."""
    try:
        with store.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise SourceUnavailable(f"cannot read the database {redacted(url)}: {first_line(exc)}") from exc


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases and for SQLite in memory."""
    if backend(url) != "sqlite":
        return None
    database = make_url(url).database or ""
    return None if database in ("", ":memory:") else Path(database)


def launch_slugs_in_file(path: Path) -> set[str] | None:
    """The launches a SQLite file holds, read without creating or changing it; None if it is not
    a yaksok database."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return {row[0] for row in db.execute("SELECT slug FROM launches")}
    except sqlite3.Error:
        return None


def remove_sqlite_file(path: Path) -> None:
    """Delete a SQLite database file and the write-ahead log files beside it."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL on a new, empty schema of the PostgreSQL database at ``url``, dropped with all it
    holds when the block ends (a benchmark leaves nothing behind); other URLs as they are."""
    if backend(url) != "postgresql":
        yield url
        return
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
            yield scoped.render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
