"""What the commands share: the database option, opening the store, and errors as exit codes.

Exit codes: 0 done, 1 refused or found wrong (a yaksok error, a broken ledger), 2 the input
could not be read at all (bad URL, unreachable server, missing file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from yaksok.config import default_database_url
from yaksok.domain.errors import YaksokError
from yaksok.store.unit_of_work import Store

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "Database URL: sqlite:///PATH or postgresql://USER@HOST/NAME. "
    "Default: $YAKSOK_DATABASE_URL, else sqlite:///./yaksok.db."
)


class SourceError(click.ClickException):
    """The database, server or file named on the command line cannot be read."""

    exit_code = 2


def database_option(help: str = DB_HELP, *, from_env: bool = True) -> Callable[[F], F]:
    """``--db URL``; commands that must not touch the configured database pass ``from_env=False``."""
    return click.option(
        "--db",
        "database_url",
        metavar="URL",
        envvar="YAKSOK_DATABASE_URL" if from_env else None,
        default=None,
        help=help,
    )


def resolve_database(given: str | None) -> str:
    return given or default_database_url()


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connect(url: str, *, migrate: bool = True) -> Store:
    """Open the store (applying migrations unless told not to), or fail with exit code 2."""
    try:
        return Store.connect(url, migrate=migrate)
    except (SQLAlchemyError, CommandError, ValueError) as exc:
        raise SourceError(f"cannot open the database {redacted(url)}: {first_line(exc)}") from exc


@contextmanager
def yaksok_errors() -> Iterator[None]:
    """A refusal from a service becomes a one-line CLI error with its code (exit code 1)."""
    try:
        yield
    except YaksokError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
