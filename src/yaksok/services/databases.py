"""The database a command names by its URL: opened as a runtime, upgraded, or replaced by the demo.

``SourceUnavailable`` (raised by the store, which is where it is found out) says in one line why
a database cannot be read; ``redacted`` names one without its password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yaksok.services.runtime import Runtime
from yaksok.store.databases import (
    SourceUnavailable,
    backend,
    launch_slugs_in_file,
    open_store,
    redacted,
    remove_sqlite_file,
    schema_revision,
    scratch_schema,
    sqlite_file,
)

__all__ = [
    "SourceUnavailable",
    "backend",
    "opened",
    "redacted",
    "replace_demo_database",
    "scratch_schema",
    "sqlite_file",
    "upgrade",
]


@contextmanager
def opened(url: str, *, migrate: bool = True) -> Iterator[Runtime]:
    """A runtime (system clock, random ids) on the database at ``url``, closed when the block
    ends; migrations are applied first unless ``migrate`` is false."""
    store = open_store(url, migrate=migrate)
    try:
        yield Runtime(store=store)
    finally:
        store.close()


def upgrade(url: str) -> str | None:
    """Apply every migration not yet applied to the database at ``url``; its schema revision."""
    store = open_store(url)
    try:
        return schema_revision(store, url)
    finally:
        store.close()


def replace_demo_database(url: str, slug: str) -> None:
    """Delete an earlier demo's SQLite file (and its WAL files) holding at most launch ``slug``;
    never someone else's data. Other databases are left alone: a replay refuses a launch that
    is already there."""
    path = sqlite_file(url)
    if path is None or not path.exists():
        return
    if path.stat().st_size > 0 and not _holds_only_demo(path, slug):
        raise SourceUnavailable(f"{path} holds other data; the demo replaces only an earlier demo's database")
    remove_sqlite_file(path)


def _holds_only_demo(path: Path, slug: str) -> bool:
    slugs = launch_slugs_in_file(path)
    return slugs is not None and slugs <= {slug}
