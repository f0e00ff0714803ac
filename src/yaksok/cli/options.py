"""What the commands share: the database option, opening the database, and errors as exit codes.

Exit codes: 0 done, 1 refused or found wrong (a yaksok error, a broken ledger), 2 the input
could not be read at all (bad URL, unreachable server, missing file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from yaksok.config import default_database_url
from yaksok.domain.errors import YaksokError
from yaksok.services import databases
from yaksok.services.runtime import Runtime

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
    return databases.redacted(url)


@contextmanager
def readable_sources() -> Iterator[None]:
    """A database or server that cannot be read becomes a one-line CLI error (exit code 2)."""
    try:
        yield
    except databases.SourceUnavailable as exc:
        raise SourceError(str(exc)) from exc


@contextmanager
def opened(url: str, *, migrate: bool = True) -> Iterator[Runtime]:
    """A runtime on the database at ``url`` (migrated unless told not to), closed after the block;
    exit code 2 if it cannot be opened."""
    with readable_sources(), databases.opened(url, migrate=migrate) as rt:
        yield rt


@contextmanager
def yaksok_errors() -> Iterator[None]:
    """A refusal from a service becomes a one-line CLI error with its code (exit code 1)."""
    try:
        yield
    except YaksokError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
