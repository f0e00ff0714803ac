"""The SQL store and its transactions (the port's implementation on SQLite and PostgreSQL): one
transaction per use case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from yaksok.store import port
from yaksok.store.audit import AuditRepository
from yaksok.store.engine import make_engine, upgrade
from yaksok.store.launches import CadenceRepository, LaunchRepository, MilestoneRepository
from yaksok.store.leadership import LeaderLock
from yaksok.store.ledger import LedgerRepository
from yaksok.store.live_events import LiveEvents, PublicationListener, can_listen
from yaksok.store.notices import NoticeRepository
from yaksok.store.tokens import TokenRepository


class Transaction(port.Transaction):
    """Repositories sharing one database transaction; callbacks run only after it commits."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.launches = LaunchRepository(connection)
        self.milestones = MilestoneRepository(connection)
        self.notices = NoticeRepository(connection)
        self.cadences = CadenceRepository(connection)
        self.ledger = LedgerRepository(connection)
        self.tokens = TokenRepository(connection)
        self.audit = AuditRepository(connection)
        self.live_events = LiveEvents(connection)
        self.after_commit: list[Callable[[], None]] = []


class Store(port.Store):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str, *, migrate: bool = True) -> Store:
        store = cls(make_engine(url))
        if migrate:
            upgrade(store.engine)
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A read-write transaction, committed when the block ends without an exception."""
        with self.engine.connect().execution_options(yaksok_write=True) as connection:
            tx = Transaction(connection)
            with connection.begin():
                yield tx
            for callback in tx.after_commit:
                callback()

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        with self.engine.connect() as connection, connection.begin():
            yield Transaction(connection)

    def leader_lock(self) -> LeaderLock:
        """A claim to lead the scheduler among every process on this database (not yet held)."""
        return LeaderLock(self.engine)

    def publication_listener(self) -> PublicationListener | None:
        """A listener for every process's publications (PostgreSQL with psycopg), else None."""
        return PublicationListener(self.engine) if can_listen(self.engine) else None

    def close(self) -> None:
        self.engine.dispose()
