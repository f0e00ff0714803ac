"""The SQL store and its transactions (the port's implementation on SQLite and PostgreSQL): one
transaction per use case."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from yaksok.domain import codes
from yaksok.domain.errors import Conflict
from yaksok.store import port
from yaksok.store.allocations import AllocationRepository
from yaksok.store.audit import AuditRepository
from yaksok.store.delivery import DeliveryRepository, SubscriptionRepository
from yaksok.store.engine import make_engine, upgrade
from yaksok.store.launches import CadenceRepository, LaunchRepository, MilestoneRepository
from yaksok.store.leadership import LeaderLock
from yaksok.store.ledger import LedgerRepository
from yaksok.store.live_events import LiveEvents, PublicationListener, can_listen
from yaksok.store.notices import NoticeRepository
from yaksok.store.operators import OperatorRepository, PasskeyRepository
from yaksok.store.personal_messages import PersonalMessageRepository
from yaksok.store.proposals import ProposalRepository
from yaksok.store.push import PushRepository
from yaksok.store.questions import QuestionRepository
from yaksok.store.reservations import ReservationRepository
from yaksok.store.social import SocialRepository
from yaksok.store.tokens import TokenRepository
from yaksok.store.waiting_rooms import WaitingRoomRepository

log = logging.getLogger(__name__)

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


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
        self.operators = OperatorRepository(connection)
        self.passkeys = PasskeyRepository(connection)
        self.audit = AuditRepository(connection)
        self.proposals = ProposalRepository(connection)
        self.questions = QuestionRepository(connection)
        self.reservations = ReservationRepository(connection)
        self.subscriptions = SubscriptionRepository(connection)
        self.deliveries = DeliveryRepository(connection)
        self.social = SocialRepository(connection)
        self.push = PushRepository(connection)
        self.waiting_rooms = WaitingRoomRepository(connection)
        self.personal_messages = PersonalMessageRepository(connection)
        self.allocations = AllocationRepository(connection)
        self.live_events = LiveEvents(connection)
        self.after_commit: list[Callable[[], None]] = []


def _lost_race(exc: DBAPIError) -> bool:
    """A unique key taken by a concurrent writer, or PostgreSQL ending one of two deadlocked (or
    unserialisable) transactions: the caller lost a race and may try again."""
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def _drop(connection: Connection) -> None:
    """Close the writer's kept connection for good: its session settings never reach the pool."""
    connection.invalidate()
    connection.close()


class Store(port.Store):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._directory_flushed = False
        self.writes_take_turns = engine.dialect.name == "sqlite"  # BEGIN IMMEDIATE (engine.py)
        self._kept = threading.local()  # each thread's connections for unflushed writes and flushes
        self._all_kept: list[Connection] = []
        self._kept_lock = threading.Lock()

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
        """A read-write transaction, committed when the block ends without an exception.

        Use cases claim the rows they change, so concurrent writers wait for each other rather
        than collide. Should a collision get through anyway (a unique key taken, a deadlock),
        it is rolled back and raised as ``Conflict`` (``write.conflict``), never as a crash.
        """
        with self._write(unflushed=False) as tx:
            yield tx

    @contextmanager
    def write_unflushed(self) -> Iterator[Transaction]:
        """``write`` committed without waiting for the disk: SQLite with ``synchronous=NORMAL``
        for this transaction, PostgreSQL with ``synchronous_commit = off``. Durable once
        ``flush`` has returned. The one caller, the reservation writer, commits batch after
        batch from one thread: that thread keeps its connection from one to the next (taking one
        from the pool and checking it cost as much as a batch's three reads)."""
        with self._write(unflushed=True) as tx:
            yield tx

    def flush(self) -> None:
        """Every commit so far on disk. Both logs are sequential, so one flush covers every
        transaction committed before it began, and a crash loses only a tail of them (never one
        in the middle: sequences stay gapless among what survives)."""
        if self.dialect == "sqlite":
            self._flush_sqlite()
            return
        # A transaction with an id commits synchronously (the default), so its commit waits for
        # the write-ahead log to be flushed up to its commit record: past every earlier commit.
        # One statement in autocommit on a connection kept for it: one round trip (a pooled
        # connection, checked and with a transaction block, took four).
        with self._kept_connection(flushing=True) as connection:
            connection.exec_driver_sql("SELECT pg_current_xact_id()")

    def _flush_sqlite(self) -> None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return
        try:
            fd = os.open(database + "-wal", os.O_RDONLY)
        except FileNotFoundError:  # no log: every commit is already in the database file
            return
        try:
            # Its data and what reading it back needs (its size), as SQLite itself syncs the log:
            # the log is rewritten in place after each restart, so this is mostly a data-only flush.
            os.fdatasync(fd)
        finally:
            os.close(fd)
        if not self._directory_flushed:  # the log's own directory entry, once
            directory = os.open(os.path.dirname(os.path.abspath(database)), os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._directory_flushed = True

    @contextmanager
    def _write(self, *, unflushed: bool) -> Iterator[Transaction]:
        with self._kept_connection() if unflushed else self._connection() as connection:
            tx = Transaction(connection)
            try:
                with connection.begin():
                    yield tx
            except DBAPIError as exc:
                if not _lost_race(exc):
                    raise
                log.warning("a concurrent write collided and was rolled back: %s", exc.orig)
                raise Conflict(
                    "another request changed the same data at the same moment; nothing was "
                    "written, try again",
                    code=codes.WRITE_CONFLICT,
                ) from exc
            for callback in tx.after_commit:
                callback()

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        options = {"yaksok_write": True, "yaksok_unflushed": False}
        with self.engine.connect().execution_options(**options) as connection:
            yield connection

    @contextmanager
    def _kept_connection(self, *, flushing: bool = False) -> Iterator[Connection]:
        """This thread's connection for unflushed writes (or, ``flushing``, for PostgreSQL's
        flushes, in autocommit), opened on first use; one whose transaction failed is dropped,
        and the next use opens another. On PostgreSQL the one for writes commits without waiting
        for the log (``synchronous_commit = off``) for the whole session, set once (per
        transaction it was a round trip a batch): so it is never handed back to the pool, where
        another write would then commit unflushed too."""
        purpose = "flushing" if flushing else "writing"
        connection: Connection | None = getattr(self._kept, purpose, None)
        if connection is None or connection.closed or connection.invalidated:
            if flushing:
                connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            else:
                options = {"yaksok_write": True, "yaksok_unflushed": True}
                connection = self.engine.connect().execution_options(**options)
                if self.dialect == "postgresql":
                    connection.exec_driver_sql("SET synchronous_commit TO off")
                    connection.commit()
            setattr(self._kept, purpose, connection)
            with self._kept_lock:
                self._all_kept.append(connection)
        try:
            yield connection
        except BaseException:
            setattr(self._kept, purpose, None)
            with self._kept_lock:
                self._all_kept.remove(connection)
            _drop(connection)
            raise

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

    def checkpoint(self) -> None:
        if self.dialect == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def refresh_statistics(self) -> None:
        # A table never analysed (a new database's first launch: autovacuum's first look comes a
        # minute later) has no statistics, every index path is costed alike at a row or two, and
        # the planner took the (launch, contact) index for a batch's key probe, reading every
        # reservation of the launch once a key.
        if self.dialect == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE reservations")

    def close(self) -> None:
        with self._kept_lock:
            kept, self._all_kept = self._all_kept, []
        for connection in kept:
            _drop(connection)
        self.engine.dispose()
