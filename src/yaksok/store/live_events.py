"""PostgreSQL LISTEN/NOTIFY: every web process hears of each publication as soon as it commits.

The publishing transaction sends ``NOTIFY`` with the ledger seq as payload; PostgreSQL delivers
it only if that transaction commits, so a rolled-back publication wakes nobody. The channel is
``yaksok_published:<schema>``, the schema the store's tables live in (``current_schema()``), so
that deployments or test runs sharing one database in different schemas never wake each other
(NOTIFY never crosses databases anyway). Identifiers stop at 63 bytes and ``pg_notify`` refuses a
longer channel, so a schema name over 46 bytes is replaced by its MD5.

The payload is a hint, not the news: listeners read the store after their last seq, which keeps
order and never repeats a notice even when notifications are merged, lost or arrive twice.
SQLite has no other processes to tell: there ``announce`` does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from yaksok.store import port

log = logging.getLogger(__name__)

_CHANNEL = (
    "CASE WHEN octet_length(current_schema()) <= 46 THEN 'yaksok_published:' || current_schema()"
    " ELSE 'yaksok_published:' || md5(current_schema()) END"
)
_NOTIFY = text(f"SELECT pg_notify({_CHANNEL}, :seq)")

PING_INTERVAL = 30.0  # seconds without a notification before the connection is checked
PING_TIMEOUT = 10.0  # seconds: a connection that cannot answer a ping in this time is dead
CONNECT_TIMEOUT = 10  # seconds, per attempt
FIRST_RETRY = 0.1  # seconds after a drop; doubles on each failed attempt...
LAST_RETRY = 10.0  # ...up to this


class LiveEvents(port.LiveEvents):
    """Announces publications to other processes from inside the publishing transaction."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def announce(self, seq: int) -> None:
        """Tell every listening process, once this transaction commits, that ``seq`` was published."""
        if self._db.dialect.name == "postgresql":
            self._db.execute(_NOTIFY, {"seq": str(seq)})


def can_listen(engine: Engine) -> bool:
    """Whether this store can push publications to ``PublicationListener``; otherwise, poll."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


class PublicationListener(port.PublicationListener):
    """One dedicated connection, on the event loop, that LISTENs for publications in this schema.

    ``run`` calls ``wake`` for every notification, and once after every (re)connection since what
    was published while nobody listened is not replayed. A lost connection is logged once, then
    retried with exponential backoff until it is back; ``listening`` says whether it is healthy.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ping_interval: float = PING_INTERVAL,
        first_retry: float = FIRST_RETRY,
        last_retry: float = LAST_RETRY,
    ) -> None:
        self.engine = engine
        self.ping_interval = ping_interval
        self.first_retry = first_retry
        self.last_retry = last_retry
        self.listening = False
        self.channel: str | None = None
        self.backend_pid: int | None = None  # the listening session, as pg_stat_activity shows it

    async def run(self, wake: Callable[[], None]) -> None:
        """Listen until cancelled."""
        failures = 0
        while True:
            try:
                async with await self._connect() as connection:
                    if failures:
                        log.info("live updates: listening on %s again", self.channel)
                    failures = 0
                    self.listening = True
                    wake()
                    await self._hear(connection, wake)
            except Exception as exc:  # whatever broke the connection, the answer is to reconnect
                if not failures:
                    log.warning(
                        "live updates: no LISTEN connection (%s); polling the store until it is back",
                        _first_line(exc),
                    )
                failures += 1
            finally:
                self.listening = False
                self.backend_pid = None
            await asyncio.sleep(min(self.last_retry, self.first_retry * 2 ** (failures - 1)))

    async def _connect(self) -> psycopg.AsyncConnection[TupleRow]:
        conninfo = await asyncio.to_thread(_conninfo, self.engine)
        connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        try:
            cursor = await connection.execute(f"SELECT {_CHANNEL}")
            row = await cursor.fetchone()
            assert row is not None
            self.channel = str(row[0])
            await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except BaseException:
            await connection.close()
            raise
        self.backend_pid = connection.info.backend_pid
        return connection

    async def _hear(self, connection: psycopg.AsyncConnection[TupleRow], wake: Callable[[], None]) -> None:
        while True:
            async for _notification in connection.notifies(timeout=self.ping_interval):
                wake()
            # A server or network that died without closing the socket sends nothing: ask.
            async with asyncio.timeout(PING_TIMEOUT):
                await connection.execute("SELECT 1")


def _conninfo(engine: Engine) -> str:
    """How the engine connects (URL, password, ``connect_args`` such as a search_path), read from
    one of its own connections, so the listener lands in the same database and schema (blocking)."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert isinstance(driver, psycopg.Connection), "live updates listen through psycopg"
        params: dict[str, str | int] = {**driver.info.get_parameters()}
        if driver.info.password:
            params["password"] = driver.info.password
    finally:
        raw.close()
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    params.setdefault("application_name", "yaksok live updates")
    return make_conninfo("", **params)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
